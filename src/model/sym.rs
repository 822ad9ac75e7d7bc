//! Strings that repeat across events, stored once for the whole process and named by a
//! 4-byte handle. A million CloudTrail events repeat a few thousand event names, regions,
//! principals, agents and addresses: each event holding 4 bytes per field instead of a
//! 16-byte pointer is what lets a console hold millions of them.
//!
//! The table only grows: a value once seen stays until the process ends. That is what a
//! console holding its events wants; a headless pass over a vast archive keeps one copy of
//! each distinct value it met (a few tens of bytes each), never one per event.

use foldhash::HashMap;
use std::cell::RefCell;
use std::fmt;
use std::num::NonZeroU32;
use std::ops::Deref;
use std::sync::Mutex;

/// One interned string: equal strings are equal handles.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sym(NonZeroU32);

/// Every string interned, by handle − 1: appended to, read without a lock.
static STRINGS: boxcar::Vec<&'static str> = boxcar::Vec::new();
/// Each string's handle, for interning.
static HANDLES: Mutex<Option<HashMap<&'static str, Sym>>> = Mutex::new(None);

thread_local! {
    /// What this thread has interned already: most lookups never take the lock.
    static SEEN: RefCell<HashMap<&'static str, Sym>> = RefCell::default();
}

impl Sym {
    /// The handle of `s`, interning it the first time it is seen.
    pub fn new(s: &str) -> Sym {
        if let Some(sym) = SEEN.with(|seen| seen.borrow().get(s).copied()) {
            return sym;
        }
        let sym = {
            let mut handles = HANDLES.lock().unwrap_or_else(|p| p.into_inner());
            let handles = handles.get_or_insert_with(HashMap::default);
            match handles.get(s) {
                Some(&sym) => sym,
                None => {
                    let stored: &'static str = Box::leak(s.into());
                    let index = STRINGS.push(stored);
                    let sym = Sym(u32::try_from(index + 1)
                        .ok()
                        .and_then(NonZeroU32::new)
                        .expect("fewer than four billion distinct strings"));
                    handles.insert(stored, sym);
                    sym
                }
            }
        };
        SEEN.with(|seen| seen.borrow_mut().insert(sym.as_str(), sym));
        sym
    }

    pub fn as_str(self) -> &'static str {
        // Handles are only made by `new`, after their string is stored.
        STRINGS[self.0.get() as usize - 1]
    }
}

impl Default for Sym {
    fn default() -> Self {
        Sym::new("")
    }
}

impl Deref for Sym {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Sym {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialOrd for Sym {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Alphabetical, as the strings compare.
impl Ord for Sym {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if self == other {
            return std::cmp::Ordering::Equal;
        }
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Display for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&str> for Sym {
    fn from(s: &str) -> Self {
        Sym::new(s)
    }
}

impl From<&String> for Sym {
    fn from(s: &String) -> Self {
        Sym::new(s)
    }
}

impl From<String> for Sym {
    fn from(s: String) -> Self {
        Sym::new(&s)
    }
}

impl From<Sym> for String {
    fn from(s: Sym) -> String {
        s.as_str().to_string()
    }
}

impl PartialEq<str> for Sym {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Sym {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Sym {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Sym> for str {
    fn eq(&self, other: &Sym) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Sym> for &str {
    fn eq(&self, other: &Sym) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Sym> for String {
    fn eq(&self, other: &Sym) -> bool {
        self == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_are_one_handle_on_every_thread() {
        let a = Sym::new("RunInstances");
        let b = Sym::new(&String::from("RunInstances"));
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "RunInstances");
        let from_other = std::thread::spawn(|| Sym::new("RunInstances"))
            .join()
            .unwrap();
        assert_eq!(from_other, a);
        assert_ne!(Sym::new("StopLogging"), a);
        assert_eq!(std::mem::size_of::<Option<Sym>>(), 4);
    }

    #[test]
    fn handles_order_as_their_strings() {
        let (z, a) = (Sym::new("zeta-sym-order"), Sym::new("alpha-sym-order"));
        assert!(a < z);
        assert_eq!(Sym::default(), "");
        assert_eq!(format!("{z}"), "zeta-sym-order");
    }
}
