-- A .byz buffer: comments, tree-sitter highlighting and folds, and the
-- language server; each says once why it is missing when it cannot start.
if vim.b.did_ftplugin_byz then
  return
end
vim.b.did_ftplugin_byz = true
require("byz").attach(vim.api.nvim_get_current_buf())
