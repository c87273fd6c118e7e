//! Logits → limit-order actions (seed §4.1, midpoint mode). One function for training (f32,
//! batched windows) and evaluation (f64, last position of each window), so both read the
//! policy the same way.
//!
//! Per position t, with ref = close_t and the band (lo_t, hi_t) known at the close of bar t:
//! lo = min(lo_t, ref), hi = max(hi_t, ref); buy = lo + σ(l0)·(ref − lo) ∈ [lo, ref];
//! sell = ref + σ(l1)·(hi − ref) ∈ [ref, hi], then sell ≥ buy + ref·minGap;
//! buy fraction σ(l2) of cash, sell fraction σ(l3) of inventory.
use tch::Tensor;

/// Decoded actions, each shaped like `reference` ([B, T] or [N]).
#[derive(Debug)]
pub struct Decoded {
    pub buy_price: Tensor,
    pub sell_price: Tensor,
    pub buy_frac: Tensor,
    pub sell_frac: Tensor,
}

/// `logits`: [..., 4]; `reference`, `lo`, `hi`: the leading shape of `logits`.
pub fn decode(
    logits: &Tensor,
    reference: &Tensor,
    lo: &Tensor,
    hi: &Tensor,
    min_gap: f64,
) -> Decoded {
    let reference = reference.clamp_min(1e-8);
    let lo = lo.minimum(&reference);
    let hi = hi.maximum(&reference);
    let l = |i: i64| logits.select(-1, i).to_kind(reference.kind());
    let buy = &lo + l(0).sigmoid() * (&reference - &lo);
    let sell = &reference + l(1).sigmoid() * (&hi - &reference);
    let sell = sell.maximum(&(&buy + &reference * min_gap));
    Decoded {
        buy_price: buy,
        sell_price: sell,
        buy_frac: l(2).sigmoid(),
        sell_frac: l(3).sigmoid(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Kind;

    #[test]
    fn midpoint_decode_stays_in_band() {
        let logits =
            Tensor::from_slice(&[0.0f64, 0.0, 0.0, 0.0, 20.0, -20.0, 20.0, -20.0]).view([2, 4]);
        let r = Tensor::from_slice(&[100.0f64, 100.0]);
        let lo = Tensor::from_slice(&[90.0f64, 101.0]); // second: lo above close -> clamped to close
        let hi = Tensor::from_slice(&[110.0f64, 99.0]); // second: hi below close -> clamped
        let d = decode(&logits, &r, &lo, &hi, 0.001);
        let v = |t: &Tensor| Vec::<f64>::try_from(t.to_kind(Kind::Double)).unwrap();
        assert_eq!(v(&d.buy_price)[0], 95.0);
        assert_eq!(v(&d.sell_price)[0], 105.0);
        assert_eq!(v(&d.buy_frac)[0], 0.5);
        // lo = hi = ref: buy = 100, sell = buy + 0.1 (the gap)
        assert!((v(&d.buy_price)[1] - 100.0).abs() < 1e-9);
        assert!((v(&d.sell_price)[1] - 100.1).abs() < 1e-9);
        assert!(v(&d.buy_frac)[1] > 0.999 && v(&d.sell_frac)[1] < 0.001);
    }
}
