//! The fuzzy filter shared by the console's `/` and `warroom query`'s `~` matches.

/// A fuzzy query: its characters must appear in order (smart case: case-sensitive only
/// when it has a capital). The same rule as the highlighting matcher, checked without it.
pub struct Query {
    chars: Vec<char>,
    case_sensitive: bool,
    pub text: String,
}

impl Query {
    pub fn new(text: &str) -> Self {
        let text = text.trim().to_string();
        Query {
            case_sensitive: text.chars().any(char::is_uppercase),
            chars: text.chars().filter(|c| !c.is_whitespace()).collect(),
            text,
        }
    }

    /// Whether `hay` holds the query's characters in order.
    pub fn matches(&self, hay: &str) -> bool {
        let mut want = self.chars.iter().peekable();
        for c in hay.chars() {
            let Some(&&w) = want.peek() else {
                return true;
            };
            let hit = if self.case_sensitive {
                c == w
            } else {
                c.to_lowercase().eq(w.to_lowercase())
            };
            if hit {
                want.next();
            }
        }
        want.peek().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_is_a_subsequence_with_smart_case() {
        let q = Query::new("runi");
        assert!(q.matches("07:37 ec2:RunInstances"));
        assert!(!q.matches("07:37 ec2:ListUsers"));
        assert!(Query::new("RunI").matches("RunInstances"));
        assert!(
            !Query::new("RUNI").matches("RunInstances"),
            "capitals ask for case"
        );
        assert!(
            Query::new("run inst").matches("RunInstances"),
            "spaces are ignored"
        );
    }
}
