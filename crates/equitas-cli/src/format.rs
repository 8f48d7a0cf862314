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

/// A number with `d` decimals and thousands separators: 6050.0 -> "6,050.00".
pub fn decimal(v: f64, d: usize) -> String {
    let s = format!("{:.d$}", v + 0.0);
    let (sign, digits) = match s.strip_prefix('-') {
        // Rounded to nothing: no sign ("-0.00" for -0.001).
        Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => ("", rest),
        Some(rest) => ("-", rest),
        None => ("", s.as_str()),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut out = String::with_capacity(s.len() + whole.len() / 3);
    out.push_str(sign);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// US dollars in millions with one decimal: 1627584457.29 -> "US$ 1,627.6 million".
pub fn usd_millions(v: f64) -> String {
    let tenths = (v / 100_000.0).round() as i64;
    format!("US$ {}.{} million", int(tenths / 10), (tenths % 10).abs())
}

/// A fraction as a percentage with one decimal: 0.79967 -> "80.0%". A
/// share short of the whole never shows as 100.0% (0.9995 -> "> 99.9%"),
/// nor a share above nothing as 0.0% (0.0004 -> "< 0.1%"): beside "single
/// country: no", "100.0%" would contradict it.
pub fn pct(f: f64) -> String {
    let shown = format!("{:.1}", f * 100.0);
    if f < 1.0 && shown == "100.0" {
        "> 99.9%".into()
    } else if f > 0.0 && shown == "0.0" {
        "< 0.1%".into()
    } else {
        format!("{shown}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_short_of_the_whole_is_never_shown_whole() {
        assert_eq!(pct(1.0), "100.0%");
        assert_eq!(pct(0.9995), "> 99.9%");
        assert_eq!(pct(0.99949), "99.9%");
        assert_eq!(pct(0.0), "0.0%");
        assert_eq!(pct(0.0004), "< 0.1%");
        assert_eq!(pct(0.0005), "0.1%");
        assert_eq!(pct(0.799_67), "80.0%");
    }

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
        assert_eq!(decimal(6050.0, 2), "6,050.00");
        assert_eq!(decimal(1341.355, 2), "1,341.36");
        assert_eq!(decimal(-1234567.891, 1), "-1,234,567.9");
        assert_eq!(decimal(0.5, 3), "0.500");
        assert_eq!(decimal(-0.0, 2), "0.00");
        assert_eq!(decimal(-0.001, 2), "0.00");
        assert_eq!(decimal(999.999, 2), "1,000.00");
    }
}
