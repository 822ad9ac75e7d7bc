//! The `condition:` expression: selection names joined by `and`, `or`, `not`, parentheses and
//! `N of` / `all of` quantifiers, parsed with the usual precedence (not > and > or).

/// A compiled condition; selections are referred to by their index.
#[derive(Debug, Clone)]
pub(super) enum Expr {
    Selection(usize),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    /// At least `min` of the selections match (`1 of x*` has min 1, `all of x*` min = len).
    AtLeast(usize, Vec<usize>),
}

impl Expr {
    /// Evaluates with short-circuiting; `selection(i)` says whether selection `i` matches.
    pub(super) fn eval(&self, selection: &mut impl FnMut(usize) -> bool) -> bool {
        match self {
            Expr::Selection(i) => selection(*i),
            Expr::Not(inner) => !inner.eval(selection),
            Expr::And(items) => items.iter().all(|e| e.eval(selection)),
            Expr::Or(items) => items.iter().any(|e| e.eval(selection)),
            Expr::AtLeast(min, sels) => {
                let mut hits = 0;
                for (seen, &i) in sels.iter().enumerate() {
                    if selection(i) {
                        hits += 1;
                        if hits >= *min {
                            return true;
                        }
                    }
                    // Stop once too few selections remain to reach `min`.
                    if hits + (sels.len() - seen - 1) < *min {
                        return false;
                    }
                }
                hits >= *min
            }
        }
    }
}

impl Expr {
    /// [`Expr::eval`] in three-valued logic, for when some selections cannot be told yet
    /// (`None`): the answer is `None` only when it depends on them.
    pub(super) fn eval_partial(
        &self,
        selection: &mut impl FnMut(usize) -> Option<bool>,
    ) -> Option<bool> {
        match self {
            Expr::Selection(i) => selection(*i),
            Expr::Not(inner) => inner.eval_partial(selection).map(|b| !b),
            Expr::And(items) => {
                let mut unknown = false;
                for e in items {
                    match e.eval_partial(selection) {
                        Some(false) => return Some(false),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                (!unknown).then_some(true)
            }
            Expr::Or(items) => {
                let mut unknown = false;
                for e in items {
                    match e.eval_partial(selection) {
                        Some(true) => return Some(true),
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                (!unknown).then_some(false)
            }
            Expr::AtLeast(min, sels) => {
                let (mut yes, mut maybe) = (0, 0);
                for &i in sels {
                    match selection(i) {
                        Some(true) => yes += 1,
                        None => maybe += 1,
                        Some(false) => {}
                    }
                }
                if yes >= *min {
                    Some(true)
                } else if yes + maybe < *min {
                    Some(false)
                } else {
                    None
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    Word(String),
}

/// Parses one condition against the selection names of its rule.
pub(super) fn parse(text: &str, names: &[String]) -> Result<Expr, String> {
    if text.contains('|') {
        return Err(format!(
            "condition `{text}`: aggregations (`| count() ...`) are not supported: rules are evaluated one event at a time"
        ));
    }
    let tokens = tokenize(text);
    if tokens.is_empty() {
        return Err("`condition` is empty".into());
    }
    if tokens.iter().any(|t| is_word(t, "near")) {
        return Err(format!(
            "condition `{text}`: `near` is not supported: rules are evaluated one event at a time"
        ));
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        names,
    };
    let expr = parser
        .or()
        .map_err(|e| format!("condition `{text}`: {e}"))?;
    if let Some(extra) = parser.tokens.get(parser.pos) {
        return Err(format!(
            "condition `{text}`: unexpected {}",
            show(Some(extra))
        ));
    }
    Ok(expr)
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, tokens: &mut Vec<Token>| {
        if !word.is_empty() {
            tokens.push(Token::Word(std::mem::take(word)));
        }
    };
    for c in text.chars() {
        match c {
            '(' | ')' => {
                flush(&mut word, &mut tokens);
                tokens.push(if c == '(' { Token::Open } else { Token::Close });
            }
            c if c.is_whitespace() => flush(&mut word, &mut tokens),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut tokens);
    tokens
}

fn is_word(token: &Token, keyword: &str) -> bool {
    matches!(token, Token::Word(w) if w.eq_ignore_ascii_case(keyword))
}

fn show(token: Option<&Token>) -> String {
    match token {
        None => "end of condition".into(),
        Some(Token::Open) => "`(`".into(),
        Some(Token::Close) => "`)`".into(),
        Some(Token::Word(w)) => format!("`{w}`"),
    }
}

const RESERVED: [&str; 5] = ["and", "or", "not", "of", "them"];

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    names: &'a [String],
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn eat(&mut self, keyword: &str) -> bool {
        let hit = self.peek().is_some_and(|t| is_word(t, keyword));
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut items = vec![self.and()?];
        while self.eat("or") {
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut items = vec![self.not()?];
        while self.eat("and") {
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn not(&mut self) -> Result<Expr, String> {
        if self.eat("not") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let token = self.peek().cloned();
        match token {
            Some(Token::Open) => {
                self.pos += 1;
                let inner = self.or()?;
                if self.peek() != Some(&Token::Close) {
                    return Err(format!("expected `)`, found {}", show(self.peek())));
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Token::Word(word)) => {
                self.pos += 1;
                if self.peek().is_some_and(|t| is_word(t, "of")) {
                    self.pos += 1;
                    return self.quantifier(&word);
                }
                if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(&word)) {
                    return Err(format!("unexpected `{word}`"));
                }
                self.names
                    .iter()
                    .position(|n| *n == word)
                    .map(Expr::Selection)
                    .ok_or_else(|| format!("`{word}` is not a selection of this rule"))
            }
            other => Err(format!(
                "expected a selection, found {}",
                show(other.as_ref())
            )),
        }
    }

    /// `1 of sel_*`, `all of them`, `2 of x*`; `any of` is the older spelling of `1 of`.
    fn quantifier(&mut self, count: &str) -> Result<Expr, String> {
        let target = match self.peek() {
            Some(Token::Word(w)) => w.clone(),
            other => {
                return Err(format!(
                    "expected a selection pattern or `them` after `of`, found {}",
                    show(other)
                ));
            }
        };
        self.pos += 1;
        let sels: Vec<usize> = if target.eq_ignore_ascii_case("them") {
            // Sigma leaves selections whose name starts with `_` out of `them`.
            (0..self.names.len())
                .filter(|&i| !self.names[i].starts_with('_'))
                .collect()
        } else {
            (0..self.names.len())
                .filter(|&i| name_matches(&target, &self.names[i]))
                .collect()
        };
        if sels.is_empty() {
            return Err(format!("`{count} of {target}` names no selection"));
        }
        let min = if count.eq_ignore_ascii_case("all") {
            sels.len()
        } else if count.eq_ignore_ascii_case("any") {
            1
        } else {
            match count.parse::<usize>() {
                Ok(n) if n >= 1 => n,
                _ => {
                    return Err(format!(
                        "`{count} of` is not a quantifier: use `1 of`, `all of` or a count"
                    ));
                }
            }
        };
        if min > sels.len() {
            return Err(format!(
                "`{count} of {target}` can never hold: it names only {} selection(s)",
                sels.len()
            ));
        }
        Ok(Expr::AtLeast(min, sels))
    }
}

/// Selection-name patterns in quantifiers use `*` as a wildcard (`1 of selection_*`).
fn name_matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        // No `*` at all: the name must be exactly the pattern.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}
