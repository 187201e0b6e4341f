//! Hiding a feed's secrets in text that came from its server. An error page or a Content-Type
//! may echo the request (a debug 401 page, a proxy's 404): what it says is kept as the feed's
//! error, logged, shown in `status` and notified, so every form of every secret the request
//! carried is replaced first, in the encodings a server is likely to echo it in.

use std::borrow::Cow;

use base64::Engine as _;
use reqwest::header::HeaderValue;

/// What a hidden secret reads as.
pub const REDACTED: &str = "<redacted>";

/// Shorter needles would garble ordinary words (a one-letter password would blank every "a");
/// a secret that short protects nothing anyway.
const MIN_NEEDLE: usize = 4;

/// Query keys whose values are treated as secrets even when no auth kind put them there: users
/// paste URLs such as `...?token=...`.
pub(crate) const SECRET_QUERY_KEYS: [&str; 6] =
    ["auth", "token", "access_token", "key", "apikey", "api_key"];

/// The secrets of one request and their encodings, longest first (so a base64 form is hidden
/// whole, not after a shorter needle has cut into it).
#[derive(Default, Clone)]
pub struct Scrubber {
    needles: Vec<String>,
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scrubber({} needles)", self.needles.len())
    }
}

impl Scrubber {
    /// For a request (`Request::scrubber`): the secrets as entered, every header marked
    /// sensitive, and the URL's password and token-like query values.
    pub(crate) fn for_parts(
        entered: &[String],
        headers: &reqwest::header::HeaderMap,
        url: Option<&url::Url>,
    ) -> Self {
        let mut secrets: Vec<String> = entered.to_vec();
        for value in headers.values().filter(|v| v.is_sensitive()) {
            secrets.extend(header_secrets(value));
        }
        if let Some(url) = url {
            if let Some(password) = url.password() {
                let user = percent_decode(url.username());
                let password = percent_decode(password);
                secrets.push(format!("{user}:{password}"));
                secrets.push(password);
            }
            for (key, value) in url.query_pairs() {
                if SECRET_QUERY_KEYS.contains(&key.to_ascii_lowercase().as_str()) {
                    secrets.push(value.into_owned());
                }
            }
        }
        let mut needles = Vec::new();
        for secret in &secrets {
            if let Some((_, password)) = secret.split_once(':') {
                needles.push(password.to_owned());
            }
            needles.extend(encodings(secret));
        }
        needles.retain(|n| n.len() >= MIN_NEEDLE);
        // Matching ignores ASCII case (see `scrub`).
        for needle in &mut needles {
            needle.make_ascii_lowercase();
        }
        needles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        needles.dedup();
        Self { needles }
    }

    /// The longest form of a secret, in bytes (0 when there is none).
    pub fn longest(&self) -> usize {
        self.needles.first().map_or(0, String::len)
    }

    /// `text` without a trailing start of a secret: for text cut at a length limit, whose
    /// last bytes may be the first half of one.
    pub fn cut_partial_tail<'a>(&self, text: &'a str) -> &'a str {
        let mut end = text.len();
        for needle in &self.needles {
            let from = text.len().saturating_sub(needle.len() - 1);
            for start in (from..text.len()).filter(|&i| text.is_char_boundary(i)) {
                if needle.starts_with(&text[start..].to_ascii_lowercase()) {
                    end = end.min(start);
                    break;
                }
            }
        }
        &text[..end]
    }

    /// `text` with every secret replaced by [`REDACTED`].
    ///
    /// Matched without regard to ASCII case: a server that lower-cases what it echoes
    /// (`bearer%20tok%2f123`) still shows the secret.
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut text = Cow::Borrowed(text);
        for needle in &self.needles {
            let lower = text.to_ascii_lowercase();
            // ASCII lower-casing keeps every byte offset, so a match in `lower` is the same
            // range in `text`.
            let found: Vec<usize> = lower.match_indices(needle.as_str()).map(|(i, _)| i).collect();
            if found.is_empty() {
                continue;
            }
            let mut out = String::with_capacity(text.len());
            let mut from = 0;
            for start in found {
                if start < from {
                    continue;
                }
                out.push_str(&text[from..start]);
                out.push_str(REDACTED);
                from = start + needle.len();
            }
            out.push_str(&text[from..]);
            text = Cow::Owned(out);
        }
        text
    }
}

/// The secret inside a sensitive header value: the whole value, the credentials after an auth
/// scheme, and what a Basic token decodes to.
fn header_secrets(value: &HeaderValue) -> Vec<String> {
    let Ok(text) = value.to_str() else { return Vec::new() };
    let mut out = vec![text.to_owned()];
    if let Some((scheme, token)) = text.split_once(' ') {
        out.push(token.trim().to_owned());
        if scheme.eq_ignore_ascii_case("basic")
            && let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(token.trim())
            && let Ok(decoded) = String::from_utf8(bytes)
        {
            out.push(decoded);
        }
    }
    out
}

/// The forms a server may echo a secret in: as is, percent- and form-encoded in either hex
/// case (a query or a redirect target), base64 (a Basic header), HTML-escaped the ways common
/// servers do (an error page), and JSON-escaped (an API's error body).
fn encodings(secret: &str) -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let percent = form.replace('+', "%20");
    let html = |apostrophe: &str, quote: &str| {
        secret
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', quote)
            .replace('\'', apostrophe)
    };
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.trim_matches('"').to_owned();
    vec![
        secret.to_owned(),
        lower_hex(&percent),
        percent,
        lower_hex(&form),
        form,
        base64::engine::general_purpose::STANDARD.encode(secret),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret),
        html("&#39;", "&quot;"),
        html("&#x27;", "&quot;"),
        // OWASP's encoder escapes the slash too.
        html("&#x27;", "&quot;").replace('/', "&#x2f;"),
        html("&#39;", "&quot;").replace('/', "&#47;"),
        html("&#x27;", "&#x22;"),
        html("&apos;", "&quot;"),
        json.replace('/', "\\/"),
        json,
    ]
}

/// `%2F` as `%2f`: hex digits after a percent sign in lower case.
fn lower_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut after_percent = 0;
    for c in encoded.chars() {
        if after_percent > 0 {
            out.push(c.to_ascii_lowercase());
            after_percent -= 1;
        } else {
            out.push(c);
        }
        if c == '%' {
            after_percent = 2;
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use reqwest::header::{AUTHORIZATION, HeaderName};

    use super::*;
    use crate::connect::Request;

    fn sensitive(text: &str) -> HeaderValue {
        let mut value = HeaderValue::from_str(text).unwrap();
        value.set_sensitive(true);
        value
    }

    #[test]
    fn every_kind_of_secret_and_its_encodings_are_hidden() {
        let mut request = Request::get(
            "https://user:p%40ss-word@a.example/x?topic=t&token=tok-123&auth=q%26s+x"
                .parse()
                .unwrap(),
        );
        request.headers.insert(AUTHORIZATION, sensitive("Bearer bear-er.t0k"));
        request.headers.insert(HeaderName::from_static("x-api-key"), sensitive("k3y<&>'\""));
        request.secrets.push("own-secret".into());
        let scrubber = request.scrubber();
        let basic = base64::engine::general_purpose::STANDARD.encode("admin:hunter22");
        let mut basic_request = Request::get("http://a.example/".parse().unwrap());
        basic_request.headers.insert(AUTHORIZATION, sensitive(&format!("Basic {basic}")));
        let basic_scrubber = basic_request.scrubber();

        for echoed in [
            "Authorization: Bearer bear-er.t0k",
            "bad token tok-123 in /x?token=tok-123",
            "auth=q%26s+x and q&s x and q%26s%20x",
            "key k3y<&>'\" or k3y&lt;&amp;&gt;&#39;&quot;",
            "user user:p@ss-word and p@ss-word and dXNlcjpwQHNzLXdvcmQ=",
            "own-secret b3duLXNlY3JldA",
        ] {
            let scrubbed = scrubber.scrub(echoed);
            for leak in [
                "bear-er",
                "tok-123",
                "q&s",
                "q%26s",
                "k3y",
                "p@ss",
                "dXNlcjpwQHNzLXdvcmQ",
                "own-secret",
                "b3duLXNlY3JldA",
            ] {
                assert!(!scrubbed.contains(leak), "{leak} in {scrubbed:?}");
            }
        }
        for echoed in [format!("Basic {basic}"), "admin:hunter22".into(), "pw hunter22".into()] {
            let scrubbed = basic_scrubber.scrub(&echoed);
            assert!(!scrubbed.contains("hunter22") && !scrubbed.contains(&basic), "{scrubbed}");
        }
    }

    #[test]
    fn echoes_in_other_servers_escapes_are_hidden_too() {
        let mut request = Request::get("http://a.example/".parse().unwrap());
        for secret in ["Tok'en123", "Tok/en123", "Tok\"en123", "Tok\\en123", "Tok'en/123"] {
            request.secrets.push(secret.into());
        }
        let scrubber = request.scrubber();
        for echoed in [
            "you sent Tok&#x27;en123",
            "you sent Tok%2fen123 and Tok%2Fen123",
            "you sent bearer%20tok%27en%2f123 and TOK'EN123",
            "you sent Tok&#x27;en&#x2F;123 and Tok&#x27;en&#x2f;123",
            r#"{"error":"bad token Tok\"en123"}"#,
            r#"{"error":"bad token Tok\\en123"}"#,
            r#"{"error":"bad token Tok\/en123"}"#,
        ] {
            let scrubbed = scrubber.scrub(echoed);
            assert!(!scrubbed.contains("Tok") && !scrubbed.contains("en123"), "{scrubbed}");
        }
    }

    #[test]
    fn a_secret_cut_in_half_at_the_end_of_a_text_is_cut_off() {
        let mut request = Request::get("http://a.example/".parse().unwrap());
        request.secrets.push("s3cret-value".into());
        let scrubber = request.scrubber();
        assert_eq!(scrubber.cut_partial_tail("denied for s3cret-va"), "denied for ");
        assert_eq!(scrubber.cut_partial_tail("denied for s"), "denied for ");
        assert_eq!(scrubber.cut_partial_tail("denied for you"), "denied for you");
        assert_eq!(scrubber.cut_partial_tail("ünïcödé"), "ünïcödé");
    }

    #[test]
    fn text_without_secrets_is_left_alone_and_short_secrets_do_not_garble_it() {
        let mut request = Request::get("http://a.example/?topic=alerts".parse().unwrap());
        request.secrets.push("abc".into());
        let scrubber = request.scrubber();
        let text = "Not Found: no topic alerts (abc)";
        assert!(matches!(scrubber.scrub(text), Cow::Borrowed(t) if t == text));
    }
}
