//! The stable codes of diagnostics: every error names the kind of mistake it
//! is (`E0005`), and `byz explain E0005` says what it means and how to fix it.
//! Codes are never renumbered or reused, so that tools, scripts and
//! discussions can name them; a new kind of mistake takes the next number.
//! A warning's code is its kind (`degenerate`), which `allow` names.

/// What kind of mistake an error is, or which kind of warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Syntax,
    Limit,
    Unreadable,
    DataMissing,
    Unknown,
    WrongValue,
    Missing,
    Twice,
    Requirement,
    WrongTask,
    Sweep,
    Table,
    Shape,
    Schedule,
    Memory,
    Expectation,
    Cycle,
    /// A warning of the kind the registry declares (`degenerate`).
    Warning(&'static str),
}

/// One error code's entry: its id and what `byz explain` prints for it.
pub struct CodeEntry {
    pub code: Code,
    pub id: &'static str,
    /// One line: what the mistake is.
    pub title: &'static str,
    /// Why byz refuses it, and how to fix it, with an example.
    pub explanation: &'static str,
}

/// Every error code, in order of their ids.
pub const ERROR_CODES: &[CodeEntry] = &[
    CodeEntry {
        code: Code::Syntax,
        id: "E0001",
        title: "the text does not follow the grammar",
        explanation: "The parser expected other words or symbols at this place: a section keyword, a value, a \
            closing bracket. The message lists what would be accepted here.\n\n    train { steps 100; lr }   // `lr` without its value\n\nFix: `train { steps 100; lr 0.1 }`. `byz fmt` shows the file in its standard layout once it parses.",
    },
    CodeEntry {
        code: Code::Limit,
        id: "E0002",
        title: "a limit of the language is exceeded",
        explanation: "byz bounds what a file may ask for, so that no input can exhaust the stack, the memory or \
            the time: brackets nested too deeply, an expression with too many operators, an `extends` chain too \
            long, a sweep with too many points, more steps, workers or dimensions than byz simulates. The \
            message names the limit.\n\nFix: split the expression (`sum`, `sqnorm` and `dot` work on whole \
            vectors), merge bases, or divide the sweep into several scenarios.",
    },
    CodeEntry {
        code: Code::Unreadable,
        id: "E0003",
        title: "a file cannot be read",
        explanation: "A scenario file, or a file named in `use`, does not exist or cannot be read. Paths in `use` \
            are relative to the file that uses them; `use std.papers.jump` names the standard library, which is \
            built into byz.",
    },
    CodeEntry {
        code: Code::DataMissing,
        id: "E0004",
        title: "a data set's files are not where the file says",
        explanation: "`data mnist(\"data/mnist\")` reads the data set from that folder (relative to where byz runs), \
            which lacks some of its files. The help says how to download them. `byz check` and `byz plan` \
            still list the runs; only running them needs the data.",
    },
    CodeEntry {
        code: Code::Unknown,
        id: "E0005",
        title: "a name the language does not know",
        explanation: "An aggregation rule, attack, parameter, setting, layer, data set, statistic, metric, module, \
            scenario or kind of warning with this name does not exist. The help suggests the closest name.\n\n    \
            aggregate krun      // did you mean `krum`?\n\n`byz explain all` lists every component by kind, and \
            `byz explain NAME` shows one with its parameters.",
    },
    CodeEntry {
        code: Code::WrongValue,
        id: "E0006",
        title: "a value of the wrong kind or out of range",
        explanation: "A setting or parameter got a value it cannot take: a string for a number, a fraction for a \
            count, a negative learning rate, a component of the wrong kind (a pre-aggregator where the pipeline \
            needs a rule).\n\n    train { steps 100; lr -0.1 }     // `lr` must be above 0\n\nThe label says what \
            is expected; `byz explain NAME` lists a component's parameters with their types.",
    },
    CodeEntry {
        code: Code::Missing,
        id: "E0007",
        title: "a required section, setting or argument is missing",
        explanation: "A scenario needs `train` and `aggregate`; `workers` needs `honest`, `train` needs `steps` and `lr`, a landscape needs `init` and its honest losses, a data task needs a \
            model, and some components need an argument (`dirichlet(alpha: 0.5)`). A base given with `extends` \
            can supply sections.",
    },
    CodeEntry {
        code: Code::Twice,
        id: "E0008",
        title: "something is declared or given twice",
        explanation: "Two declarations share a name (scenarios, bases, models, also across files brought in by \
            `use`), a section appears twice in one scenario, a parameter is given twice, or a table names a \
            field twice. Keep one, or rename one.",
    },
    CodeEntry {
        code: Code::Requirement,
        id: "E0009",
        title: "the rule's requirement on n and f is not met",
        explanation: "A rule is defined only for enough workers n given f Byzantine ones, as its paper states: \
            Krum scores each vector by its n − f − 2 nearest others (n > 2f + 2), Bulyan needs n ≥ 4f + 3, a \
            trimmed mean trims fewer than half of the values (n > 2f), and f must be a minority. With fewer \
            workers the rule is undefined or its guarantee void.\n\n    workers { honest 3; byzantine 2 }\n    \
            aggregate bulyan   // needs n ≥ 4f + 3 = 11\n\nFix: more honest workers, a smaller f (or `declared` \
            f), or another rule. `byz explain RULE` shows its requirement.",
    },
    CodeEntry {
        code: Code::WrongTask,
        id: "E0010",
        title: "a setting needs a task this scenario does not have",
        explanation: "Some settings only make sense for some tasks: `accuracy`, label flipping and `fltrust`'s \
            root set need a data set; a model needs `data`; mean estimation has no losses of its own; a \
            scenario has either a `task` or `data`, not both.",
    },
    CodeEntry {
        code: Code::Sweep,
        id: "E0011",
        title: "a sweep cannot vary this field",
        explanation: "`sweep` varies fields of the scenario (`attack`, `aggregate`, `workers.byzantine`, \
            `train.lr`, a component's argument such as `workers.heterogeneity.alpha`). The field must exist and be set, and the \
            list must not be empty.\n\n    sweep { attack in [sf, \
            alie]; workers.byzantine in [1, 3] }",
    },
    CodeEntry {
        code: Code::Table,
        id: "E0012",
        title: "a table does not cover the sweep",
        explanation: "A `table` shows one metric for every swept field: each field is a row, a column, or reduced \
            with `worst`/`best` (which take one field each), and a field is named once. A field the table leaves \
            out would mix several runs in one cell.\n\n    table { rows aggregate; columns attack; worst \
            workers.byzantine }",
    },
    CodeEntry {
        code: Code::Shape,
        id: "E0013",
        title: "shapes or lengths do not match",
        explanation: "A model's layers must fit the data's images and end with one output per class; a loss's \
            vectors must have `theta`'s length and an honest loss must be a number; a landscape defines one \
            loss per honest worker; `mean` and `init` have `dim` entries.",
    },
    CodeEntry {
        code: Code::Schedule,
        id: "E0014",
        title: "the attack schedule has gaps or empty ranges",
        explanation: "`attack { 0..100 none; 100.. sf }` gives every step one attack: ranges follow each other \
            without a gap or an overlap, each holds a step, and the last is open (`100..`) or reaches the last \
            step.",
    },
    CodeEntry {
        code: Code::Memory,
        id: "E0015",
        title: "a run needs more memory than there is",
        explanation: "byz estimates each run's memory before running it (data set, workers' gradients, the \
            model's activations). A run larger than this machine's memory, or than `--mem`, is refused rather \
            than left to the kernel's out-of-memory killer. Fix: fewer workers, a smaller batch, or run on a \
            larger machine (`byz slurm --mem 64G`).",
    },
    CodeEntry {
        code: Code::Expectation,
        id: "E0016",
        title: "an expectation reads what the runs do not record",
        explanation: "`expect` checks a statistic of a recorded metric: the metric must be reported (`accuracy` \
            needs `report { accuracy }`), `final` takes no window, and a window must start within the run's \
            steps.",
    },
    CodeEntry {
        code: Code::Cycle,
        id: "E0017",
        title: "a scenario extends itself",
        explanation: "`extends` chains must end: `a extends b` and `b extends a` would never resolve. Remove one \
            link of the cycle.",
    },
];

impl Code {
    /// The stable id: `E0005` for an error, the kind (`degenerate`) for a
    /// warning. A match, so that a new variant cannot go without one; a test
    /// checks that `ERROR_CODES` agrees.
    pub fn id(self) -> &'static str {
        match self {
            Code::Syntax => "E0001",
            Code::Limit => "E0002",
            Code::Unreadable => "E0003",
            Code::DataMissing => "E0004",
            Code::Unknown => "E0005",
            Code::WrongValue => "E0006",
            Code::Missing => "E0007",
            Code::Twice => "E0008",
            Code::Requirement => "E0009",
            Code::WrongTask => "E0010",
            Code::Sweep => "E0011",
            Code::Table => "E0012",
            Code::Shape => "E0013",
            Code::Schedule => "E0014",
            Code::Memory => "E0015",
            Code::Expectation => "E0016",
            Code::Cycle => "E0017",
            Code::Warning(kind) => kind,
        }
    }
}

/// The entry of an error code (`E0005`, also `e5`), for `byz explain`.
pub fn entry(id: &str) -> Option<&'static CodeEntry> {
    let digits = id.strip_prefix(['E', 'e'])?;
    let number: u32 = digits.parse().ok()?;
    ERROR_CODES.iter().find(|e| e.id[1..].parse::<u32>().ok() == Some(number))
}

impl CodeEntry {
    /// What `byz explain E0005` prints: the id and title, then the explanation.
    pub fn explain(&self) -> String {
        let mut out = format!("{}: {}\n", self.id, self.title);
        for line in self.explanation.lines() {
            if line.is_empty() {
                out.push('\n');
            } else if line.starts_with("    ") {
                // Examples as written.
                out.push_str(&format!("\n  {line}"));
            } else {
                out.push('\n');
                out.push_str(&textwrap::fill(
                    line,
                    textwrap::Options::new(88).initial_indent("  ").subsequent_indent("  "),
                ));
            }
        }
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_numbered_in_order_and_each_variant_has_one() {
        for (i, e) in ERROR_CODES.iter().enumerate() {
            assert_eq!(e.id, format!("E{:04}", i + 1));
            assert_eq!(e.code.id(), e.id);
            assert!(!e.title.ends_with('.') && e.explanation.len() > 80, "{}", e.id);
        }
        assert_eq!(ERROR_CODES.len(), 17, "every error variant has an entry");
        assert_eq!(entry("e5").map(|e| e.code), Some(Code::Unknown));
        assert!(entry("E0999").is_none() && entry("degenerate").is_none());
    }
}
