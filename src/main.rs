//! `npe-lens`: analyze Network Prevent for Email logs from the command
//! line.
//!
//! Exit codes: 0 when the input was analyzed, whatever it found; 2 when
//! an input could not be read or the arguments were wrong.

mod cli;

use clap::{Parser, Subcommand};

/// Reads Symantec DLP Network Prevent for Email logs and explains where
/// mail waits.
#[derive(Parser, Debug)]
#[command(name = "npe-lens", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Analyze log files, .gz files, .zip bundles or folders.
    Analyze(cli::analyze::AnalyzeArgs),
    /// Write realistic NPE logs with chosen failures, for tests, demos
    /// and benchmarks.
    Generate(cli::generate::GenerateArgs),
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let result = match &cli.command {
        Command::Analyze(args) => cli::analyze::run(args),
        Command::Generate(args) => cli::generate::run(args),
    };
    if let Err(message) = result {
        error!("{message}");
    }
    std::process::exit(if cli::messages::errored() { 2 } else { 0 });
}
