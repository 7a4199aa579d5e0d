/**
 * @file Tree-sitter grammar for byz scenario files (`.byz`).
 *
 * It follows grammar/byz.pest rule by rule; node names are the pest rule
 * names, with `_section`/`_declaration`/`_expression` suffixes where a bare
 * name would read badly. Where pest relies on ordered choice the grammar
 * says which alternative wins in a comment. Like most tree-sitter grammars
 * it is a little more permissive than the real parser (keywords are not
 * excluded from identifiers); `byz check` stays the judge of validity.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

const PREC = {
  add: 1, // + -
  mul: 2, // * /
  neg: 3, // prefix -
  pow: 4, // ^ (right associative)
  index: 5, // postfix [i]
};

const DIGITS = /[0-9]+/;

/** one or more `rule` separated by commas */
function commaSep1(rule) {
  return seq(rule, repeat(seq(',', rule)));
}

/** `{ item; item ... }`, where `;` may separate items */
function block(rule) {
  return seq('{', repeat(seq(rule, optional(';'))), '}');
}

/** `[ a, b, ]`: possibly empty, trailing comma allowed */
function list(rule) {
  return seq('[', optional(commaSep1(rule)), optional(','), ']');
}

module.exports = grammar({
  name: 'byz',

  word: ($) => $.identifier,

  extras: ($) => [/\s/, $.comment],

  supertypes: ($) => [$._section, $._expression],

  rules: {
    // file = { SOI ~ item* ~ EOI }
    source_file: ($) => repeat($._item),

    _item: ($) =>
      choice($.use_declaration, $.scenario, $.base, $.model_declaration),

    // COMMENT = "//" ... | "/*" ... "*/" (block comments do not nest)
    comment: (_) =>
      token(choice(seq('//', /[^\n]*/), seq('/*', /[^*]*\*+([^/*][^*]*\*+)*/, '/'))),

    // ---- modules ---------------------------------------------------------
    use_declaration: ($) =>
      seq('use', field('path', choice($.string, $.module_path))),

    // module_path = ${ ident ~ ("." ~ ident)* }  (no spaces inside)
    module_path: ($) =>
      seq(
        $.identifier,
        repeat(seq(token.immediate('.'), alias($._immediate_identifier, $.identifier))),
      ),

    // ---- named models: `model cnn = (1,28,28)-C(32)-R-...` -----------------
    model_declaration: ($) =>
      seq('model', field('name', $.identifier), '=', field('spec', $.model_spec)),

    model_spec: ($) =>
      seq(field('shape', $.model_shape), repeat1(seq('-', $.layer))),

    // model_shape = { "(" ~ int ~ (("," | "×" | "x") ~ int)* ~ ")" }
    model_shape: ($) =>
      seq(
        '(',
        $.integer,
        repeat(seq(choice(',', alias($._times, '×')), $.integer)),
        ')',
      ),

    // `×` or `x`. One regex for both, so that `x` is not a keyword: a keyword
    // would be read as the word `x28` in `1x28` and fail.
    _times: (_) => token(/[x×]/),

    // layer = ${ layer_name ~ ("(" ~ number ~ ")")? }
    layer: ($) =>
      seq(
        field('name', alias($.identifier, $.layer_name)),
        optional(seq(token.immediate('('), field('argument', $.number), ')')),
      ),

    // ---- scenarios and reusable bases --------------------------------------
    scenario: ($) =>
      seq(
        'scenario',
        field('name', $.identifier),
        optional($.extends),
        field('body', $.body),
      ),

    base: ($) =>
      seq('base', field('name', $.identifier), optional($.extends), field('body', $.body)),

    extends: ($) => seq('extends', field('base', $.identifier)),

    body: ($) => block($._section),

    _section: ($) =>
      choice(
        $.seeds_section,
        $.data_section,
        $.model_section,
        $.task_section,
        $.workers_section,
        $.train_section,
        $.aggregate_section,
        $.attack_section,
        $.report_section,
        $.sweep_section,
        $.table_section,
        $.expect_section,
        $.allow_section,
      ),

    seeds_section: ($) =>
      seq('seeds', field('value', choice($.range, $.int_list, $.integer))),

    data_section: ($) => seq('data', field('value', $.component)),

    model_section: ($) =>
      seq('model', field('value', choice($.model_spec, $.identifier))),

    int_list: ($) => list($.integer),

    // task = { kw_task ~ ident ~ "{" ~ ((honest_loss | setting) ~ ";"?)* ~ "}" }
    task_section: ($) =>
      seq(
        'task',
        field('kind', $.identifier),
        block(choice($.honest_loss, $.setting, alias($._honest_setting, $.setting))),
      ),

    workers_section: ($) => seq('workers', block($.setting)),

    train_section: ($) => seq('train', block($.setting)),

    aggregate_section: ($) => seq('aggregate', field('value', $.pipeline)),

    attack_section: ($) =>
      seq('attack', field('value', choice($.schedule, $.plan, $.component))),

    report_section: ($) =>
      seq(
        'report',
        optional($.every),
        '{',
        repeat(seq(alias($.identifier, $.metric), optional(','))),
        '}',
      ),

    every: ($) => seq('every', field('interval', $.integer)),

    sweep_section: ($) => seq('sweep', block($.sweep_axis)),

    // `table { rows aggregate, workers.byzantine; columns attack; value max accuracy }`.
    // `rows`, `columns`, `worst`, `best` and `value` are keywords only inside the block: tree-sitter
    // takes a word for a keyword only where the keyword can come, as pest does.
    table_section: ($) =>
      seq('table', block(choice($.table_rows, $.table_columns, $.table_worst, $.table_best, $.table_value))),

    // table_rows = { kw_rows ~ field_path ~ ("," ~ field_path)* }
    table_rows: ($) => seq('rows', commaSep1($.field_path)),

    // table_columns = { kw_columns ~ field_path ~ ("," ~ field_path)* }
    table_columns: ($) => seq('columns', commaSep1($.field_path)),

    // table_worst = { kw_worst ~ field_path }: each cell the worst over a swept field
    table_worst: ($) => seq('worst', $.field_path),

    // table_best = { kw_best ~ field_path }: then the best over another
    table_best: ($) => seq('best', $.field_path),

    // table_value = { kw_value ~ ident ~ ident ~ window? }: a statistic of a metric,
    // `max accuracy`, `mean loss from step 50`
    table_value: ($) =>
      seq(
        'value',
        field('statistic', alias($.identifier, $.statistic)),
        field('metric', alias($.identifier, $.metric)),
        optional($.window),
      ),

    // `expect { final loss < 0.45; mean loss > 0.578 }`: what every run must show.
    // expect = { kw_expect ~ "{" ~ (expectation ~ ";"?)* ~ "}" }
    expect_section: ($) => seq('expect', block($.expectation)),

    // expectation = { ident ~ ident ~ window? ~ comparison ~ number }: a statistic
    // of a metric against a bound, `final loss < 0.45`; like `value` in a table,
    // any two names parse and `byz check` validates them.
    expectation: ($) =>
      seq(
        field('statistic', alias($.identifier, $.statistic)),
        field('metric', alias($.identifier, $.metric)),
        optional($.window),
        $.comparison,
        field('bound', $.number),
      ),

    // window = { kw_from ~ kw_step ~ int }: the steps a statistic looks at,
    // `max loss from step 0`. `from` and `step` are keywords only after a
    // statistic's metric.
    window: ($) => seq('from', 'step', field('start', $.integer)),

    // comparison = { "<=" | ">=" | "<" | ">" }
    comparison: (_) => choice('<=', '>=', '<', '>'),

    // `allow degenerate, single_seed`: kinds of warning accepted as meant.
    // allow = { kw_allow ~ ident ~ ("," ~ ident)* }
    allow_section: ($) => seq('allow', commaSep1(alias($.identifier, $.warning))),

    // honest_loss = { kw_honest ~ ident ~ "=" ~ expr }
    honest_loss: ($) =>
      seq('honest', field('name', $.identifier), '=', field('value', $._expression)),

    setting: ($) => seq(field('name', $.identifier), field('value', $._value)),

    // In a task, pest tries `honest NAME = EXPR` first and falls back to a
    // setting named `honest` (`honest 3`).
    _honest_setting: ($) =>
      seq(field('name', alias('honest', $.identifier)), field('value', $._value)),

    // pipeline = { component ~ ("|>" ~ component)* }
    pipeline: ($) => seq($.component, repeat(seq('|>', $.component))),

    schedule: ($) => block($.phase),

    phase: ($) =>
      seq(field('range', $.range), field('attack', choice($.plan, $.component))),

    // `plan { lookahead 8; beams 4; choose [sf, alie]; objective min_loss }`
    plan: ($) => seq('plan', block($.setting)),

    sweep_axis: ($) =>
      seq(field('field', $.field_path), 'in', list($._sweep_value)),

    // field_path = ${ field_name ~ ("." ~ field_name)* }
    field_path: ($) =>
      seq(
        alias($.identifier, $.field_name),
        repeat(seq(token.immediate('.'), alias($._immediate_identifier, $.field_name))),
      ),

    // sweep_value = _{ plan | pipeline | value }: a lone component is a
    // one-stage pipeline, as in pest's ordered choice.
    _sweep_value: ($) =>
      choice(
        $.plan,
        $.pipeline,
        $.range,
        $.vector,
        $.component_list,
        $.lr_schedule,
        $.number,
        $.string,
      ),

    // ---- values ----------------------------------------------------------
    _value: ($) =>
      choice(
        $.range,
        $.vector,
        $.component_list,
        $.lr_schedule,
        $.number,
        $.string,
        $.component,
      ),

    // `lr 0.25 until 1000, then 0.025`
    lr_schedule: ($) =>
      seq($.number, repeat1(seq('until', $.integer, ',', 'then', $.number))),

    component_list: ($) =>
      seq('[', commaSep1($.component), optional(','), ']'),

    component: ($) =>
      seq(
        field('name', choice($.identifier, alias('plan', $.identifier))),
        optional(field('arguments', $.arguments)),
      ),

    arguments: ($) => seq('(', optional(commaSep1($.argument)), optional(','), ')'),

    argument: ($) =>
      seq(optional(seq(field('name', $.identifier), ':')), field('value', $._value)),

    vector: ($) => list($.number),

    // range = ${ int ~ ("..=" | "..") ~ int? }, one token: `0..50`, `1..=5`, `50..`
    range: (_) => token(seq(DIGITS, choice('..=', '..'), optional(DIGITS))),

    // number = @{ "-"? ~ unsigned }
    number: (_) => token(seq(optional('-'), unsigned())),

    integer: (_) => DIGITS,

    // string = ${ "\"" ~ (!("\"" | "\\" | "\n") ~ ANY | "\\" ~ ANY)* ~ "\"" }
    string: ($) =>
      seq(
        '"',
        repeat(choice(token.immediate(prec(1, /[^"\\\n]+/)), $.escape_sequence)),
        token.immediate('"'),
      ),

    escape_sequence: (_) => token.immediate(/\\./),

    identifier: (_) => /[A-Za-z_][A-Za-z0-9_]*/,

    _immediate_identifier: (_) => token.immediate(/[A-Za-z_][A-Za-z0-9_]*/),

    // ---- expressions of `theta` (landscape tasks) --------------------------
    _expression: ($) =>
      choice(
        $.binary_expression,
        $.unary_expression,
        $.index_expression,
        $.call_expression,
        $.vector_expression,
        alias($._unsigned, $.number),
        alias($.identifier, $.variable),
        $.parenthesized_expression,
      ),

    binary_expression: ($) =>
      choice(
        ...[
          ['+', PREC.add],
          ['-', PREC.add],
          ['*', PREC.mul],
          ['/', PREC.mul],
        ].map(([op, p]) =>
          prec.left(
            /** @type {number} */ (p),
            seq(
              field('left', $._expression),
              field('operator', /** @type {string} */ (op)),
              field('right', $._expression),
            ),
          ),
        ),
        prec.right(
          PREC.pow,
          seq(
            field('left', $._expression),
            field('operator', '^'),
            field('right', $._expression),
          ),
        ),
      ),

    unary_expression: ($) =>
      prec(PREC.neg, seq(field('operator', '-'), field('operand', $._expression))),

    index_expression: ($) =>
      prec(
        PREC.index,
        seq(field('value', $._expression), '[', field('index', $.integer), ']'),
      ),

    call_expression: ($) =>
      seq(
        field('function', $.identifier),
        '(',
        optional(commaSep1($._expression)),
        ')',
      ),

    vector_expression: ($) => list($._expression),

    parenthesized_expression: ($) => seq('(', $._expression, ')'),

    _unsigned: (_) => token(unsigned()),
  },
});

/** unsigned = @{ ASCII_DIGIT+ ~ ("." ~ ASCII_DIGIT+)? ~ (^"e" ~ ("+" | "-")? ~ ASCII_DIGIT+)? } */
function unsigned() {
  return seq(DIGITS, optional(seq('.', DIGITS)), optional(seq(/[eE]/, optional(/[+-]/), DIGITS)));
}
