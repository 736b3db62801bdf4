fn main() -> std::process::ExitCode {
    chronos_lint::cli::main()
}
