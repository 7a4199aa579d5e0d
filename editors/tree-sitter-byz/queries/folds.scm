; Folds (Neovim: copy to queries/byz/folds.scm and set foldmethod=expr,
; foldexpr=v:lua.vim.treesitter.foldexpr()).
[
  (body)
  (task_section)
  (workers_section)
  (train_section)
  (schedule)
  (plan)
  (report_section)
  (sweep_section)
  (sweep_axis)
  (table_section)
  (expect_section)
  (arguments)
  (component_list)
  (comment)
] @fold
