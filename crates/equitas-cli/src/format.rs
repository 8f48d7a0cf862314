//! Number formatting for people.

/// An integer with thousands separators: 10324 -> "10,324".
pub fn int(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// US dollars in millions with one decimal: 1627584457.29 -> "US$ 1,627.6 million".
pub fn usd_millions(v: f64) -> String {
    let tenths = (v / 100_000.0).round() as i64;
    format!("US$ {}.{} million", int(tenths / 10), (tenths % 10).abs())
}

/// A fraction as a percentage with one decimal: 0.79967 -> "80.0%".
pub fn pct(f: f64) -> String {
    format!("{:.1}%", f * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1000), "1,000");
        assert_eq!(int(10_324), "10,324");
        assert_eq!(int(-1_234_567), "-1,234,567");
        assert_eq!(usd_millions(1_627_584_457.29), "US$ 1,627.6 million");
        assert_eq!(usd_millions(0.0), "US$ 0.0 million");
        assert_eq!(pct(0.7996687), "80.0%");
    }
}
