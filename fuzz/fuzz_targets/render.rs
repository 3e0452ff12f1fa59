//! Every renderer on arbitrary rows at widths 1-200 (input layout: `render_case` in
//! tests/fuzz_inputs): never panics. With feature `width`, no `table` line is wider
//! than the width (or the table's minimum of 8); with `escape`, no text format
//! writes a raw control, C1 or bidi character other than its own newlines, `tab`'s
//! separators and the bold of `--color`.
#![no_main]

#[path = "../../tests/fuzz_inputs/mod.rs"]
mod inputs;

use libfuzzer_sys::fuzz_target;
#[allow(unused_imports)]
use rdoveadm::cli::Format;

fuzz_target!(|data: &[u8]| {
    let Some(case) = inputs::render_case(data) else {
        return;
    };
    let text = inputs::render(&case);
    #[cfg(feature = "escape")]
    if !matches!(case.settings.format, Format::Json | Format::Jsonl) {
        for c in text.chars() {
            let bold = case.settings.color && c == '\u{1b}';
            let separator = case.settings.format == Format::Tab && c == '\t';
            assert!(
                c == '\n' || bold || separator || !rdoveadm::text::is_unsafe(c),
                "raw {c:?} in {:?} output",
                case.settings.format
            );
        }
    }
    #[cfg(feature = "width")]
    if case.settings.format == Format::Table && !case.settings.color {
        // The table's floor: below it, lines may be as wide as this
        // (`output::table::MIN_WIDTH`, not public).
        const MIN_WIDTH: usize = 8;
        let width = usize::from(case.settings.width.unwrap_or(u16::MAX)).max(MIN_WIDTH);
        for line in text.lines() {
            assert!(
                rdoveadm::text::width(line) <= width,
                "line wider than {width}: {line:?}"
            );
        }
    }
    let _ = text;
});
