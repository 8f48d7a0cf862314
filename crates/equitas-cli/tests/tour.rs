//! The README's "A five-minute tour", and the French guide's "Parcours en
//! dix minutes" (docs/guide.fr.md), run as written.
//!
//! The commands are read from the document at test time (the fenced `sh`
//! blocks of that section), so neither can change without this test
//! seeing it. Each runs with bash, in order, in a fresh directory that
//! holds `data/` (the repository's) and `target/release/equitas` (the
//! binary under test), with a fresh data directory (`EQUITAS_DATA_DIR`).
//! Each must exit 0, or the status its comment names (`# exit status 3`).
//!
//! What the test changes, and why:
//! - `cargo run --release --` runs the binary under test, as
//!   `target/release/equitas` (building a release binary is cargo's
//!   business, and would take minutes here);
//! - a command ending in `&` (the server) is started, and stopped at the end,
//!   on a free port instead of 8080 (which may be taken), and the `curl`
//!   commands are pointed at that port;
//! - the PostgreSQL URL of the example is replaced by a fresh test database
//!   (`EQUITAS_TEST_POSTGRES_URL`); without one, that command is reported
//!   SKIPPED (never passed), as the other tests that need a server.

use equitas_doc_vectors::conformance::record_skip;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One command of the tour.
#[derive(Debug, Clone, PartialEq)]
struct Step {
    /// Line of the README where it starts.
    line: usize,
    /// The command as written, without its trailing comment.
    text: String,
    /// The exit status its comment names (`# exit status N`), else 0.
    expect: i32,
    /// Written with a trailing `&`: runs while the next ones do.
    background: bool,
}

/// The commands of the fenced `sh` blocks of the section headed `heading`
/// (`## A five-minute tour`), in order. A line is a command unless blank or
/// a comment; a here-document (`<<'EOF'` ... `EOF`) belongs to its command.
fn tour_steps(readme: &str, heading: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut in_section = false;
    let mut in_block = false;
    let mut lines = readme.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        if line.starts_with("## ") {
            in_section = line.trim() == heading;
            continue;
        }
        if !in_section {
            continue;
        }
        let t = line.trim();
        if t.starts_with("```") {
            in_block = !in_block && t == "```sh";
            continue;
        }
        if !in_block || t.is_empty() || t.starts_with('#') {
            continue;
        }
        let (command, comment) = split_comment(t);
        let mut text = command.to_string();
        if let Some(tag) = heredoc_tag(command) {
            for (_, body) in lines.by_ref() {
                text.push('\n');
                text.push_str(body);
                if body.trim() == tag {
                    break;
                }
            }
        }
        let expect = comment
            .and_then(|c| c.split("exit status ").nth(1))
            .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let background = text.ends_with('&') && !text.ends_with("&&");
        if background {
            text = text.trim_end_matches('&').trim_end().to_string();
        }
        steps.push(Step {
            line: i + 1,
            text,
            expect,
            background,
        });
    }
    steps
}

/// A command line and its trailing comment (a `#` after a space, outside
/// quotes).
fn split_comment(line: &str) -> (&str, Option<&str>) {
    let (mut single, mut double) = (false, false);
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'#' if !single && !double && i > 0 && bytes[i - 1] == b' ' => {
                return (line[..i].trim_end(), Some(&line[i + 1..]));
            }
            _ => {}
        }
    }
    (line, None)
}

/// The end marker of a here-document the command opens (`<<'EOF'`, `<<EOF`).
fn heredoc_tag(command: &str) -> Option<String> {
    let rest = command.split("<<").nth(1)?;
    let tag = rest.trim().trim_start_matches('-');
    let tag = tag.split_whitespace().next()?.trim_matches(['\'', '"']);
    (!tag.is_empty()).then(|| tag.to_string())
}

/// A free TCP port on the loopback address.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The tour's directory: `data` and `target/release/equitas` as the
/// README expects them from the repository's root.
fn tour_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::os::unix::fs::symlink(
        repo.join("data").canonicalize().unwrap(),
        dir.path().join("data"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("target/release")).unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_equitas"),
        dir.path().join("target/release/equitas"),
    )
    .unwrap();
    dir
}

/// Kills a background step's process group when dropped.
struct Background(Child);

impl Drop for Background {
    fn drop(&mut self) {
        // The step runs in its own process group (bash and the server).
        let pgid = self.0.id() as i32;
        // SAFETY: sends a signal to a process group this test started.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
        let _ = self.0.wait();
    }
}

/// Checks what the README's example says, beyond exiting as expected.
fn promised(step: &Step, out: &str, err: &str) -> Result<(), String> {
    let t = step.text.as_str();
    if err.contains("warning: this writes about") {
        return Err("a tour command should not write gigabytes".into());
    }
    if t.contains("epcis query") && (out.starts_with("0 event(s)") || out.contains("\n0 event(s)"))
    {
        return Err("the query found no event".into());
    }
    if t.contains("market mpr") && !out.to_lowercase().contains("basket (") {
        return Err("no median price ratio computed".into());
    }
    if t.contains("market affordability") && !out.lines().any(|l| l.starts_with("Efavirenz")) {
        return Err("no affordability row".into());
    }
    // The French guide: its files import whole, and its words about the
    // late report and the stockout-adjusted AMC hold.
    if t.contains("import stock-reports data/examples/fr/rapports.csv")
        && !out.contains("22 rows read")
    {
        return Err("the French reports did not import whole".into());
    }
    if t == "equitas stock --within SN-DK" {
        if !err.contains("Guinaw Rail (1 month)") && !out.contains("Guinaw Rail (1 month)") {
            return Err("no note of the facility that has not reported October".into());
        }
        let sro = out
            .lines()
            .find(|l| l.contains("Thiaroye") && l.contains("sro-sachet"))
            .unwrap_or_default();
        if !sro.contains(" 88.0 ") {
            return Err(format!("the guide says Thiaroye's ORS AMC is 88.0: {sro}"));
        }
    }
    if t.starts_with("curl ") {
        let j: serde_json::Value =
            serde_json::from_str(out).map_err(|e| format!("the answer is not JSON: {e}"))?;
        if j.get("status")
            .and_then(serde_json::Value::as_u64)
            .is_some_and(|s| s >= 400)
        {
            return Err(format!("the API answered a problem: {j}"));
        }
    }
    Ok(())
}

#[test]
fn the_readme_tour_runs_as_written() {
    run_as_written("README.md", "## A five-minute tour", 30);
}

#[test]
fn the_french_guide_runs_as_written() {
    run_as_written("docs/guide.fr.md", "## Parcours en dix minutes", 12);
}

/// Runs the commands of section `heading` of the repository's document
/// `doc`, at least `fewest` of them, as a user would from the repository's
/// root, each checked as [`promised`] says.
fn run_as_written(doc: &str, heading: &str, fewest: usize) {
    let readme_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(doc);
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let steps = tour_steps(&readme, heading);
    assert!(
        steps.len() >= fewest,
        "only {} commands found in the tour of {}",
        steps.len(),
        readme_path.display()
    );
    let dir = tour_dir();
    let data_dir: PathBuf = dir.path().join("equitas-data");
    let port = free_port();
    let mut aliases = String::new();
    let mut background: Vec<Background> = Vec::new();
    let mut failures = Vec::new();
    // Each step's database, for PostgreSQL kept until the end.
    let mut pg_guards = Vec::new();
    for step in &steps {
        let mut text = step
            .text
            .replace("cargo run --release --", "target/release/equitas")
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"));
        if text.starts_with("alias ") {
            aliases.push_str(&text);
            aliases.push('\n');
            continue;
        }
        if let Some(at) = text.find("--database postgres://") {
            let start = at + "--database ".len();
            let end = text[start..].find(' ').map_or(text.len(), |e| start + e);
            let Some((url, guard)) = equitas_store::testing::postgres_url() else {
                record_skip(
                    &format!(
                        "tour::run_as_written ({doc} line {}: {})",
                        step.line, step.text
                    ),
                    "needs a PostgreSQL server (EQUITAS_TEST_POSTGRES_URL; scripts/test.sh starts one)",
                );
                continue;
            };
            text = format!("{}'{url}'{}", &text[..start], &text[end..]);
            pg_guards.push(guard);
        }
        if step.background {
            text = format!("{text} --addr 127.0.0.1:{port}");
        }
        let script = format!("shopt -s expand_aliases\n{aliases}{text}\n");
        let mut cmd = Command::new("bash");
        cmd.arg("-c")
            .arg(&script)
            .current_dir(dir.path())
            .env("EQUITAS_DATA_DIR", &data_dir)
            .env_remove("EQUITAS_DATABASE")
            .env_remove("EQUITAS_EPCIS_SCHEMA")
            .env_remove("EQUITAS_EPCIS_XSD");
        if step.background {
            use std::os::unix::process::CommandExt;
            let log = std::fs::File::create(dir.path().join("background.log")).unwrap();
            let child = cmd
                .process_group(0)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap();
            background.push(Background(child));
            // Ready when it accepts connections.
            let start = Instant::now();
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(
                    start.elapsed() < Duration::from_secs(120),
                    "{doc} line {}: `{}` did not start listening: {}",
                    step.line,
                    step.text,
                    std::fs::read_to_string(dir.path().join("background.log")).unwrap_or_default()
                );
                std::thread::sleep(Duration::from_millis(100));
            }
            continue;
        }
        let o = cmd.stdin(Stdio::null()).output().unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        let code = o.status.code().unwrap_or(-1);
        let err = String::from_utf8_lossy(&o.stderr);
        let result = if code != step.expect {
            Err(format!("exit status {code}, expected {}", step.expect))
        } else {
            promised(step, &out, &err)
        };
        if let Err(why) = result {
            failures.push(format!(
                "{doc} line {}: `{}`: {why}\n  stdout: {}\n  stderr: {}",
                step.line,
                step.text,
                out.chars().take(600).collect::<String>(),
                err.chars().take(600).collect::<String>()
            ));
        }
    }
    drop(background);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_tour_is_read_as_a_user_would_run_it() {
    let md = "# Title\n```sh\nnot-this\n```\n## A five-minute tour\n\ntext\n```sh\n\
              # a comment\nalias e=x\ne status   # a comment\ne import x.csv   # exit status 3\n\
              cat > f.csv <<'EOF'\na,b # not a comment\nEOF\ne gs1 '(01)1 # kept'\n\
              e serve &\ne a && e b\n```\n```\nan output block\n```\n## Next\n```sh\nnor-this\n```\n";
    let steps = tour_steps(md, "## A five-minute tour");
    let texts: Vec<&str> = steps.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "alias e=x",
            "e status",
            "e import x.csv",
            "cat > f.csv <<'EOF'\na,b # not a comment\nEOF",
            "e gs1 '(01)1 # kept'",
            "e serve",
            "e a && e b"
        ]
    );
    assert_eq!(steps[2].expect, 3);
    assert_eq!(steps[1].expect, 0);
    assert!(steps[5].background && !steps[6].background);
    assert_eq!(steps[1].line, 11);
}
