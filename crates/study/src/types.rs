//! TypeScript declarations for the study types (ts-rs): `ts/src/generated/study.ts` is this
//! module's output; a test fails when it is stale (`TRADELAB_BLESS=1 cargo test -p tradelab-study`).
use ts_rs::TS;

pub fn declarations() -> String {
    let decls = [
        crate::space::Param::decl(),
        crate::spec::Direction::decl(),
        crate::spec::SamplerSpec::decl(),
        crate::spec::PrunerSpec::decl(),
        crate::spec::StudySpec::decl(),
        crate::trial::TrialState::decl(),
        crate::trial::Trial::decl(),
        crate::trial::Outcome::decl(),
        crate::trial::Asked::decl(),
        crate::trial::Summary::decl(),
    ];
    let mut out = String::from(
        "// Generated from the Rust structs by crates/study/src/types.rs (ts-rs). Do not edit:\n\
         // `TRADELAB_BLESS=1 cargo test -p tradelab-study --test generated_types` rewrites it.\n\
         /* eslint-disable */\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(d.trim());
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
