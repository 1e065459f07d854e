//! The render worker the app's tests start (production runs
//! `courrier render-worker`): the same loop, from the merge crate.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(courrier_merge::worker::main_with_args(
        std::env::args().skip(1),
    ))
}
