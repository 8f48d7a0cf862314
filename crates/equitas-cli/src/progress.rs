//! Progress bars on stderr (hidden when stderr is not a terminal).

use equitas_store::import::Progress;
use indicatif::{ProgressBar, ProgressStyle};
use std::cell::RefCell;

pub struct Bar {
    prefix: String,
    bar: RefCell<Option<ProgressBar>>,
}

impl Bar {
    pub fn new(prefix: impl Into<String>) -> Self {
        Bar {
            prefix: prefix.into(),
            bar: RefCell::new(None),
        }
    }

    /// A spinner for work of unknown length (reading, parsing).
    pub fn spinner(message: &str) -> ProgressBar {
        let pb = ProgressBar::new_spinner();
        pb.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        pb.set_message(message.to_string());
        pb.enable_steady_tick(std::time::Duration::from_millis(120));
        pb
    }
}

impl Progress for Bar {
    fn start(&self, label: &str, total: u64) {
        let pb = ProgressBar::new(total);
        pb.set_style(
            ProgressStyle::with_template(
                "{prefix} {msg:<20} [{bar:30}] {pos}/{len} ({per_sec}, {eta} left)",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        pb.set_prefix(self.prefix.clone());
        pb.set_message(label.to_string());
        if let Some(old) = self.bar.replace(Some(pb)) {
            old.finish_and_clear();
        }
    }
    fn inc(&self, n: u64) {
        if let Some(pb) = self.bar.borrow().as_ref() {
            pb.inc(n);
        }
    }
    fn finish(&self) {
        if let Some(pb) = self.bar.borrow_mut().take() {
            pb.finish_and_clear();
        }
    }
}
