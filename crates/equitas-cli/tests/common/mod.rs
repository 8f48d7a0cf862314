//! What several CLI test files share: running the binary with a standard
//! input, and waiting for a server it started to listen.

#![allow(dead_code)] // each test file uses its part

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `c` with `stdin` written to its standard input; its output.
pub fn output_with_stdin(c: &mut Command, stdin: &str) -> Output {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Waits (at most 30 s) until a server listens on the loopback port `port`.
pub fn wait_for_server(port: u16) {
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let start = Instant::now();
    while TcpStream::connect(addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts `equitas serve` on the loopback port `port`, on the data
/// directory `dir` or the database `db`, with the options `extra`; returns
/// once it listens.
pub fn serve(dir: &Path, db: Option<&str>, port: u16, extra: &[&str]) -> Child {
    let mut c = Command::new(env!("CARGO_BIN_EXE_equitas"));
    c.arg("--data-dir").arg(dir);
    match db {
        Some(url) => c.env("EQUITAS_DATABASE", url),
        None => c.env_remove("EQUITAS_DATABASE"),
    };
    let child = c
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_server(port);
    child
}

/// Bytes as text, for messages.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
