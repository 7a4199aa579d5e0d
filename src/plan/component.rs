//! A component (rule, attack, solver, ...) with every argument resolved.

use serde::Serialize;
use std::collections::BTreeMap;

/// A component's arguments by name, every declared parameter filled in.
pub type Args = BTreeMap<String, ArgValue>;

/// The value of one argument: a number, a word, a component or a list of components.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ArgValue {
    Int(i64),
    Float(f64),
    Choice(String),
    Component(ComponentPlan),
    List(Vec<ComponentPlan>),
}

impl ArgValue {
    /// The value as a real number, when it is one (a whole number is read as one).
    pub fn number(&self) -> Option<f64> {
        match self {
            ArgValue::Float(x) => Some(*x),
            ArgValue::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
}

/// A component (rule, attack, solver, ...) with its name and every argument resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComponentPlan {
    pub name: String,
    pub args: Args,
    /// How the user wrote it, normalised (`foe(eps: 0.1)`), for labels and tables.
    #[serde(skip)]
    pub display: String,
}

// The checker fills in every parameter a component declares, so a missing or
// mistyped argument here is a bug in the registry, not bad input.
impl ComponentPlan {
    /// The whole-number argument `key`.
    pub fn int(&self, key: &str) -> i64 {
        match self.args.get(key) {
            Some(ArgValue::Int(i)) => *i,
            other => panic!("registry bug: `{}` argument `{key}` is {other:?}", self.name),
        }
    }

    /// The real argument `key` (a whole number is read as one).
    pub(crate) fn float(&self, key: &str) -> f64 {
        let value = self.args.get(key);
        value
            .and_then(ArgValue::number)
            .unwrap_or_else(|| panic!("registry bug: `{}` argument `{key}` is {value:?}", self.name))
    }

    /// The word argument `key`, one of its parameter's choices.
    pub fn choice(&self, key: &str) -> &str {
        match self.args.get(key) {
            Some(ArgValue::Choice(c)) => c,
            other => panic!("registry bug: `{}` argument `{key}` is {other:?}", self.name),
        }
    }

    /// The list-of-components argument `key`, such as a planner's `choose`.
    pub fn list(&self, key: &str) -> &[ComponentPlan] {
        match self.args.get(key) {
            Some(ArgValue::List(l)) => l,
            other => panic!("registry bug: `{}` argument `{key}` is {other:?}", self.name),
        }
    }

    /// The component argument `key`, such as an attack's `solver`.
    pub fn component(&self, key: &str) -> &ComponentPlan {
        match self.args.get(key) {
            Some(ArgValue::Component(c)) => c,
            other => panic!("registry bug: `{}` argument `{key}` is {other:?}", self.name),
        }
    }
}
