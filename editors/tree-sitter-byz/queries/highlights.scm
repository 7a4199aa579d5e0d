; Highlights for byz scenario files. Capture names follow nvim-treesitter's
; conventions (Helix and the tree-sitter CLI read them too); the TextMate
; grammar in editors/vscode uses the matching scopes listed in
; editors/README.md.

; ---- comments ---------------------------------------------------------------
(comment) @comment

; ---- keywords ---------------------------------------------------------------
"use" @keyword.import

[
  "scenario"
  "base"
  "model"
] @keyword.type

"extends" @keyword

[
  "seeds"
  "data"
  "task"
  "workers"
  "train"
  "aggregate"
  "attack"
  "report"
  "every"
  "sweep"
  "table"
  "rows"
  "columns"
  "worst"
  "best"
  "value"
  "from"
  "step"
  "expect"
  "allow"
  "honest"
  "plan"
] @keyword

[
  "in"
  "until"
  "then"
] @keyword.operator

; ---- names that are defined or referred to ----------------------------------
(module_path (identifier) @module)

(scenario name: (identifier) @type.definition)
(base name: (identifier) @type.definition)
(extends base: (identifier) @type)
(model_declaration name: (identifier) @type.definition)
(model_section value: (identifier) @type)

; the kind of task: `task landscape`, `task mean_estimation`
(task_section kind: (identifier) @type.builtin)

; layers of the compact model notation: `C(32)-R-M`
(layer_name) @constructor

; ---- components and their parameters ----------------------------------------
(component name: (identifier) @function.call)

(argument name: (identifier) @variable.parameter)

; settings: `steps 100`, `lookahead 8`, `honest 7`
(setting name: (identifier) @property)

; swept fields and table axes: `workers.byzantine in [...]`, `rows aggregate.trim`
(field_name) @property

; report metrics: `report { loss, trajectory }`; the metric of a table's value
; and of an expectation: `value max accuracy`, `final loss < 0.45`
(metric) @constant

; the statistic of a table's value and of an expectation: `max`, `final`
(statistic) @function.builtin

; the kinds of warning a scenario accepts: `allow degenerate, single_seed`
(warning) @constant

; the comparison of an expectation: `final loss < 0.45`
(comparison) @operator

; ---- loss expressions -------------------------------------------------------
(honest_loss name: (identifier) @variable)

(call_expression function: (identifier) @function.builtin)

; `theta`, the model's parameters; other names are left to the checker
((variable) @variable.builtin
  (#eq? @variable.builtin "theta"))

((variable) @variable
  (#not-eq? @variable "theta"))

; ---- literals ---------------------------------------------------------------
[
  (number)
  (integer)
] @number

(range) @number

(string) @string
(escape_sequence) @string.escape

; ---- operators and punctuation ----------------------------------------------
[
  "+"
  "-"
  "*"
  "/"
  "^"
  "|>"
  "="
] @operator

[
  "("
  ")"
  "["
  "]"
  "{"
  "}"
] @punctuation.bracket

[
  ","
  ";"
  ":"
  "."
  "×"
] @punctuation.delimiter
