//! git's `wildmatch` (wildmatch.c, `dowild`), the glob matcher behind `.gitignore`, ported
//! line for line so that a pattern matches here exactly when it matches for git.
//!
//! Only the part every `.gitignore` needs is ported; a pattern that uses anything else (a
//! `[:class:]` set, a non-ASCII byte, case folding) gets `None`, "ask git", never a guess.
//! No I/O.

/// `dowild`'s results. `AbortAll` and `AbortToStarStar` are its shortcuts: they stop the
/// backtracking of every enclosing `*` (or of the enclosing `*`s up to a `**`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Match,
    NoMatch,
    AbortAll,
    AbortToStarStar,
}

/// Whether `pattern` matches all of `text`; with `pathname`, `*` and `?` do not match `/`
/// (git's `WM_PATHNAME`). `None`: the pattern uses what this port leaves to git.
pub fn matches(pattern: &[u8], text: &[u8], pathname: bool) -> Option<bool> {
    if !pattern.is_ascii() || !text.is_ascii() || pattern.windows(2).any(|w| w == b"[:") {
        return None;
    }
    Some(dowild(pattern, 0, text, 0, pathname) == Outcome::Match)
}

fn is_glob_special(c: u8) -> bool {
    matches!(c, b'*' | b'?' | b'[' | b'\\')
}

/// `dowild(p, text, flags)`; `pattern[p..]` and `text[t..]` stand for C's pointers, and a
/// position at the end reads as C's terminating NUL (patterns and paths have no NUL).
#[allow(clippy::too_many_lines)] // a port: the same shape as the C makes it checkable
fn dowild(pattern: &[u8], mut p: usize, text: &[u8], mut t: usize, pathname: bool) -> Outcome {
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    while at(pattern, p) != 0 {
        let mut p_ch = at(pattern, p);
        let mut t_ch = at(text, t);
        if t_ch == 0 && p_ch != b'*' {
            return Outcome::AbortAll;
        }
        match p_ch {
            b'?' => {
                if pathname && t_ch == b'/' {
                    return Outcome::NoMatch;
                }
            }
            b'*' => {
                p += 1;
                let match_slash;
                if at(pattern, p) == b'*' && !pathname {
                    // Without `WM_PATHNAME`, `**` is `*`, and `*` matches `/` anyway.
                    while at(pattern, p) == b'*' {
                        p += 1;
                    }
                    match_slash = true;
                } else if at(pattern, p) == b'*' {
                    // `prev_p` is `p - 2` in C: the byte before the first `*`.
                    let first_star = p - 1;
                    while at(pattern, p + 1) == b'*' {
                        p += 1;
                    }
                    p += 1;
                    let after_slash = first_star == 0 || pattern[first_star - 1] == b'/';
                    let next = at(pattern, p);
                    if after_slash
                        && (next == 0
                            || next == b'/'
                            || (next == b'\\' && at(pattern, p + 1) == b'/'))
                    {
                        if next == b'/'
                            && dowild(pattern, p + 1, text, t, pathname) == Outcome::Match
                        {
                            return Outcome::Match;
                        }
                        match_slash = true;
                    } else {
                        match_slash = false;
                    }
                } else {
                    match_slash = !pathname;
                }
                if at(pattern, p) == 0 {
                    if !match_slash && text[t..].contains(&b'/') {
                        return Outcome::NoMatch;
                    }
                    return Outcome::Match;
                } else if !match_slash && at(pattern, p) == b'/' {
                    let Some(slash) = text[t..].iter().position(|&c| c == b'/') else {
                        return Outcome::NoMatch;
                    };
                    // The loop's step consumes the slash with the pattern's.
                    t += slash + 1;
                    p += 1;
                    continue;
                }
                loop {
                    if t_ch == 0 {
                        break;
                    }
                    if !is_glob_special(at(pattern, p)) {
                        p_ch = at(pattern, p);
                        loop {
                            t_ch = at(text, t);
                            if t_ch == 0 || !(match_slash || t_ch != b'/') || t_ch == p_ch {
                                break;
                            }
                            t += 1;
                        }
                        if t_ch != p_ch {
                            return if match_slash {
                                Outcome::AbortAll
                            } else {
                                Outcome::AbortToStarStar
                            };
                        }
                    }
                    let matched = dowild(pattern, p, text, t, pathname);
                    if matched != Outcome::NoMatch {
                        if !match_slash || matched != Outcome::AbortToStarStar {
                            return matched;
                        }
                    } else if !match_slash && t_ch == b'/' {
                        return Outcome::AbortToStarStar;
                    }
                    t += 1;
                    t_ch = at(text, t);
                }
                return Outcome::AbortAll;
            }
            b'[' => {
                p += 1;
                p_ch = at(pattern, p);
                let negated = p_ch == b'!' || p_ch == b'^';
                if negated {
                    p += 1;
                    p_ch = at(pattern, p);
                }
                let mut prev_ch = 0u8;
                let mut matched = false;
                loop {
                    if p_ch == 0 {
                        return Outcome::AbortAll;
                    }
                    if p_ch == b'\\' {
                        p += 1;
                        p_ch = at(pattern, p);
                        if p_ch == 0 {
                            return Outcome::AbortAll;
                        }
                        if t_ch == p_ch {
                            matched = true;
                        }
                    } else if p_ch == b'-'
                        && prev_ch != 0
                        && at(pattern, p + 1) != 0
                        && at(pattern, p + 1) != b']'
                    {
                        p += 1;
                        p_ch = at(pattern, p);
                        if p_ch == b'\\' {
                            p += 1;
                            p_ch = at(pattern, p);
                            if p_ch == 0 {
                                return Outcome::AbortAll;
                            }
                        }
                        if t_ch <= p_ch && t_ch >= prev_ch {
                            matched = true;
                        }
                        p_ch = 0; // so that `prev_ch` becomes 0
                    } else if t_ch == p_ch {
                        // (`[:class:]`, git's other branch here, never reaches this port)
                        matched = true;
                    }
                    prev_ch = p_ch;
                    p += 1;
                    p_ch = at(pattern, p);
                    if p_ch == b']' {
                        break;
                    }
                }
                if matched == negated || (pathname && t_ch == b'/') {
                    return Outcome::NoMatch;
                }
            }
            _ => {
                if p_ch == b'\\' {
                    // A literal match of the next byte; past the end it is NUL, which fails.
                    p += 1;
                    p_ch = at(pattern, p);
                }
                if t_ch != p_ch {
                    return Outcome::NoMatch;
                }
            }
        }
        p += 1;
        t += 1;
    }
    if t < text.len() {
        Outcome::NoMatch
    } else {
        Outcome::Match
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    fn m(pattern: &str, text: &str, pathname: bool) -> bool {
        matches(pattern.as_bytes(), text.as_bytes(), pathname).expect("supported pattern")
    }

    /// Cases after git's own t/t3070-wildmatch.sh, the ones without `[:class:]` sets or case
    /// folding (`.gitignore` itself is checked against git in tests/git_native.rs).
    #[test]
    fn git_test_suite_cases() {
        // (pattern, text, match with WM_PATHNAME, match without)
        let cases: &[(&str, &str, bool, bool)] = &[
            ("foo", "foo", true, true),
            ("bar", "foo", false, false),
            ("", "", true, true),
            ("???", "foo", true, true),
            ("??", "foo", false, false),
            ("*", "foo", true, true),
            ("f*", "foo", true, true),
            ("*f", "foo", false, false),
            ("*foo*", "foo", true, true),
            ("*ob*a*r*", "foobar", true, true),
            ("*ab", "aaaaaaabababab", true, true),
            ("foo\\*", "foo*", true, true),
            ("foo\\*bar", "foobar", false, false),
            ("f\\\\oo", "f\\oo", true, true),
            ("*[al]?", "ball", true, true),
            ("[ten]", "ten", false, false),
            ("**[!te]", "ten", true, true),
            ("**[!ten]", "ten", false, false),
            ("t[a-g]n", "ten", true, true),
            ("t[!a-g]n", "ten", false, false),
            ("t[!a-g]n", "ton", true, true),
            ("t[^a-g]n", "ton", true, true),
            ("a[]]b", "a]b", true, true),
            ("a[]-]b", "a-b", true, true),
            ("a[]-]b", "a]b", true, true),
            ("a[]-]b", "aab", false, false),
            ("a[]a-]b", "aab", true, true),
            ("]", "]", true, true),
            ("foo*bar", "foo/baz/bar", false, true),
            ("foo**bar", "foo/baz/bar", false, true),
            ("foo**bar", "foobazbar", true, true),
            ("foo/**/bar", "foo/baz/bar", true, true),
            ("foo/**/**/bar", "foo/baz/bar", true, false),
            ("foo/**/bar", "foo/b/a/z/bar", true, true),
            ("foo/**/**/bar", "foo/b/a/z/bar", true, true),
            ("foo/**/bar", "foo/bar", true, false),
            ("foo/**/**/bar", "foo/bar", true, false),
            ("foo?bar", "foo/bar", false, true),
            ("foo[/]bar", "foo/bar", false, true),
            ("foo[^a-z]bar", "foo/bar", false, true),
            ("f[^eiu][^eiu][^eiu][^eiu][^eiu]r", "foo/bar", false, true),
            ("f[^eiu][^eiu][^eiu][^eiu][^eiu]r", "foo-bar", true, true),
            ("**/foo", "foo", true, false),
            ("**/foo", "XXX/foo", true, true),
            ("**/foo", "bar/baz/foo", true, true),
            ("*/foo", "bar/baz/foo", false, true),
            ("**/bar*", "foo/bar/baz", false, true),
            ("**/bar/*", "deep/foo/bar/baz", true, true),
            ("**/bar/*", "deep/foo/bar/baz/", false, true),
            ("**/bar/**", "deep/foo/bar/baz/", true, true),
            ("**/bar/*", "deep/foo/bar", false, false),
            ("**/bar/**", "deep/foo/bar/", true, true),
            ("**/bar**", "foo/bar/baz", false, true),
            ("*/bar/**", "foo/bar/baz/x", true, true),
            ("*/bar/**", "deep/foo/bar/baz/x", false, true),
            ("**/bar/*/*", "deep/foo/bar/baz/x", true, true),
            ("a[c-c]st", "acrt", false, false),
            ("a[c-c]rt", "acrt", true, true),
            ("[!]-]", "]", false, false),
            ("[!]-]", "a", true, true),
            ("\\", "", false, false),
            ("\\", "\\", false, false),
            ("*/\\", "XXX/\\", false, false),
            ("*/\\\\", "XXX/\\", true, true),
            ("foo", "foo", true, true),
            ("@foo", "@foo", true, true),
            ("@foo", "foo", false, false),
            ("\\[ab]", "[ab]", true, true),
            ("[[]ab]", "[ab]", true, true),
            ("[a-]", "-", true, true),
            ("[1-]", "-", true, true),
            ("[\\-^]", "^", true, true),
            ("[\\]]", "]", true, true),
            ("[\\]]", "\\]", false, false),
            ("[\\]]", "\\", false, false),
            ("a[]b", "ab", false, false),
            ("a[]b", "a[]b", false, false),
            ("ab[", "ab[", false, false),
            ("[!", "ab", false, false),
            ("[-", "ab", false, false),
            ("[-]", "-", true, true),
            ("[a-", "-", false, false),
            ("[!a-", "-", false, false),
            ("[--A]", "-", true, true),
            ("[--A]", "5", true, true),
            ("[ --]", " ", true, true),
            ("[ --]", "$", true, true),
            ("[ --]", "-", true, true),
            ("[ --]", "0", false, false),
            ("[---]", "-", true, true),
            ("[------]", "-", true, true),
            ("[a-e-n]", "j", false, false),
            ("[a-e-n]", "-", true, true),
            ("[!------]", "a", true, true),
            ("[]-a]", "[", false, false),
            ("[]-a]", "^", true, true),
            ("[!]-a]", "^", false, false),
            ("[!]-a]", "[", true, true),
            ("[a^bc]", "^", true, true),
            ("[a-]b]", "-b]", true, true),
            ("[\\]", "\\", false, false),
            ("[\\\\]", "\\", true, true),
            ("[!\\\\]", "\\", false, false),
            ("[A-\\\\]", "G", true, true),
            ("b*a", "aaabbb", false, false),
            ("*ba*", "aabcaa", false, false),
            ("[,]", ",", true, true),
            ("[\\\\,]", ",", true, true),
            ("[\\\\,]", "\\", true, true),
            ("[,-.]", "-", true, true),
            ("[,-.]", "+", false, false),
            ("[,-.]", "-.]", false, false),
            ("[\\1-\\3]", "2", true, true),
            ("[\\1-\\3]", "3", true, true),
            ("[\\1-\\3]", "4", false, false),
            ("[[-\\]]", "\\", true, true),
            ("[[-\\]]", "[", true, true),
            ("[[-\\]]", "]", true, true),
            ("[[-\\]]", "-", false, false),
            (
                "-*-*-*-*-*-*-12-*-*-*-m-*-*-*",
                "-adobe-courier-bold-o-normal--12-120-75-75-m-70-iso8859-1",
                true,
                true,
            ),
            (
                "-*-*-*-*-*-*-12-*-*-*-m-*-*-*",
                "-adobe-courier-bold-o-normal--12-120-75-75-X-70-iso8859-1",
                false,
                false,
            ),
            (
                "-*-*-*-*-*-*-12-*-*-*-m-*-*-*",
                "-adobe-courier-bold-o-normal--12-120-75-75-/-70-iso8859-1",
                false,
                false,
            ),
            (
                "XXX/*/*/*/*/*/*/12/*/*/*/m/*/*/*",
                "XXX/adobe/courier/bold/o/normal//12/120/75/75/m/70/iso8859/1",
                true,
                true,
            ),
            (
                "XXX/*/*/*/*/*/*/12/*/*/*/m/*/*/*",
                "XXX/adobe/courier/bold/o/normal//12/120/75/75/X/70/iso8859/1",
                false,
                false,
            ),
            (
                "**/*a*b*g*n*t",
                "abcd/abcdefg/abcdefghijk/abcdefghijklmnop.txt",
                true,
                true,
            ),
            (
                "**/*a*b*g*n*t",
                "abcd/abcdefg/abcdefghijk/abcdefghijklmnop.txtz",
                false,
                false,
            ),
            ("*/*/*", "foo", false, false),
            ("*/*/*", "foo/bar", false, false),
            ("*/*/*", "foo/bba/arr", true, true),
            ("*/*/*", "foo/bb/aa/rr", false, true),
            ("**/**/**", "foo/bb/aa/rr", true, true),
            ("*X*i", "abcXdefXghi", true, true),
            ("*X*i", "ab/cXd/efXg/hi", false, true),
            ("*/*X*/*/*i", "ab/cXd/efXg/hi", true, true),
            ("**/*X*/**/*i", "ab/cXd/efXg/hi", true, true),
            ("fo", "foo", false, false),
            ("foo/bar", "foo/bar", true, true),
            ("foo/*", "foo/bar", true, true),
            ("foo/*", "foo/bba/arr", false, true),
            ("foo/**", "foo/bba/arr", true, true),
            ("foo*", "foo/bba/arr", false, true),
            ("foo**", "foo/bba/arr", false, true),
            ("foo/*arr", "foo/bba/arr", false, true),
            ("foo/**arr", "foo/bba/arr", false, true),
            ("foo/*z", "foo/bba/arr", false, false),
            ("foo/**z", "foo/bba/arr", false, false),
            ("foo?bar", "foo/bar", false, true),
            ("foo[/]bar", "foo/bar", false, true),
            ("*Xg*i", "abcXdefXghi", true, true),
        ];
        for &(pattern, text, with, without) in cases {
            assert_eq!(
                m(pattern, text, true),
                with,
                "{pattern:?} ~ {text:?} (pathname)"
            );
            assert_eq!(m(pattern, text, false), without, "{pattern:?} ~ {text:?}");
        }
    }

    #[test]
    fn what_the_port_leaves_to_git() {
        assert_eq!(matches(b"[[:alpha:]]", b"a", true), None);
        assert_eq!(matches("é*".as_bytes(), b"e", true), None);
        assert_eq!(matches(b"*", "é".as_bytes(), true), None);
    }
}
