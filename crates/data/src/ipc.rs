//! Bars → Arrow IPC stream bytes, the hand-off format to TypeScript (apache-arrow `tableFromIPC`).
use crate::arrow_bars::bars_to_batch;
use arrow::ipc::writer::StreamWriter;
use tradelab_core::Bars;

pub fn bars_to_ipc_stream(bars: &Bars) -> Result<Vec<u8>, arrow::error::ArrowError> {
    let batch = bars_to_batch(bars)?;
    let mut buf = Vec::with_capacity(bars.len() * 8 * 8 + 1024);
    {
        let mut w = StreamWriter::try_new(&mut buf, &batch.schema())?;
        w.write(&batch)?;
        w.finish()?;
    }
    Ok(buf)
}
