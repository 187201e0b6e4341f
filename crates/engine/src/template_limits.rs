//! Limits on what one template step may allocate. Fuel counts steps, not their cost, and a
//! few built-in filters size an allocation from a number in the template:
//! `{{ 'a' | indent(1000000000000000) }}` asked for a petabyte in one step, and the failed
//! allocation aborted the resident (every restart again, since the feed's template is saved).
//! These filters get their numbers checked first; over the limit they fail like any template
//! error, and the preset's rendering is used.

use minijinja::value::{Rest, Value};
use minijinja::{Environment, Error, ErrorKind, State};

/// The largest width, count or indent a sized filter accepts: far above what a notification
/// title or body can show.
pub const MAX_SIZE: i64 = 1_000;

/// Makes the built-in filter a checked one stands in for.
type Original = fn() -> Value;

/// The filters whose numeric arguments size what they build.
/// (`tojson` and its `indent` exist only with minijinja's `json` feature, which is off.)
const SIZED: [(&str, Original); 4] = [
    ("indent", || Value::from_function(minijinja::filters::indent)),
    ("slice", || Value::from_function(minijinja::filters::slice)),
    ("batch", || Value::from_function(minijinja::filters::batch)),
    ("format", || Value::from_function(minijinja::filters::format)),
];

/// Replaces the sized filters of `env` with checked ones.
pub fn guard(env: &mut Environment<'_>) {
    for (name, original) in SIZED {
        let original = original();
        env.add_filter(name, move |state: &State, args: Rest<Value>| -> Result<Value, Error> {
            check(name, &args)?;
            original.call(state, &args)
        });
    }
}

fn too_large(name: &str) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("{name}: a size above {MAX_SIZE} is refused (it would build too much)"),
    )
}

fn check(name: &str, args: &[Value]) -> Result<(), Error> {
    // The first argument is the value being filtered; for `format` it is the format string,
    // whose widths and precisions (`%1000000000s`) size the result.
    if name == "format"
        && let Some(spec) = args.first().and_then(Value::as_str)
        && has_long_number(spec)
    {
        return Err(too_large(name));
    }
    for arg in args.iter().skip(1) {
        let numbers: Vec<Value> = match arg.kind() {
            // Keyword arguments arrive as one map (`indent(width=...)`).
            minijinja::value::ValueKind::Map => arg
                .try_iter()
                .map(|keys| keys.filter_map(|k| arg.get_item(&k).ok()).collect())
                .unwrap_or_default(),
            _ => vec![arg.clone()],
        };
        for number in numbers {
            if number.kind() == minijinja::value::ValueKind::Number
                && f64::try_from(number).is_ok_and(|n| n.abs() > MAX_SIZE as f64)
            {
                return Err(too_large(name));
            }
        }
    }
    Ok(())
}

/// A run of more digits than [`MAX_SIZE`] has, in a printf-style format string.
fn has_long_number(spec: &str) -> bool {
    let limit = MAX_SIZE.to_string().len();
    spec.split(|c: char| !c.is_ascii_digit()).any(|run| run.len() > limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &str) -> Result<String, Error> {
        let mut env = Environment::new();
        guard(&mut env);
        env.render_str(
            template,
            minijinja::context! { data => "line one\nline two", items => vec![1, 2, 3] },
        )
    }

    #[test]
    fn sizes_that_would_allocate_without_bound_are_refused_in_one_step() {
        for hostile in [
            "{{ 'a' | indent(1000000000000000) }}",
            "{{ data | indent(width=1000000000) }}",
            "{{ items | slice(1000000000000) | list }}",
            "{{ items | batch(100000000000, 'x') | list }}",
            "{{ '%1000000000000s' | format('x') }}",
            "{{ '%.999999999999f' | format(1.5) }}",
        ] {
            let err = render(hostile).expect_err(hostile);
            assert!(err.to_string().contains("refused"), "{hostile}: {err}");
        }
    }

    #[test]
    fn ordinary_uses_still_work() {
        assert_eq!(render("{{ data | indent(2) }}").unwrap(), "line one\n  line two");
        assert_eq!(render("{{ items | slice(2) | list }}").unwrap(), "[[1, 2], [3]]");
        assert_eq!(render("{{ items | batch(2) | list }}").unwrap(), "[[1, 2], [3]]");
        assert_eq!(render("{{ '%5.1f%%' | format(12.345) }}").unwrap(), " 12.3%");
        assert_eq!(render("{{ 'build 123456' | upper }}").unwrap(), "BUILD 123456");
    }
}
