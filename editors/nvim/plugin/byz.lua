-- byz for Neovim 0.7 or newer: the `byz` filetype, and the commands
-- :ByzBuildParser (compile the tree-sitter parser into this plugin) and
-- :ByzFormat. What happens when a .byz file opens is in ftplugin/byz.lua.
if vim.g.loaded_byz then
  return
end
vim.g.loaded_byz = true

if vim.fn.has("nvim-0.7") == 0 then
  vim.api.nvim_echo({ { "byz: the editor setup needs Neovim 0.7 or newer", "WarningMsg" } }, true, {})
  return
end

-- Neovim 0.7 reads filetype.lua only with `g:do_filetype_lua`; an autocommand works everywhere.
vim.api.nvim_create_autocmd({ "BufRead", "BufNewFile" }, {
  pattern = "*.byz",
  callback = function()
    vim.bo.filetype = "byz"
  end,
})

vim.api.nvim_create_user_command("ByzBuildParser", function()
  require("byz").build_parser()
end, { desc = "compile editors/tree-sitter-byz into this plugin's parser/byz.so" })

vim.api.nvim_create_user_command("ByzFormat", function()
  require("byz").format(vim.api.nvim_get_current_buf())
end, { desc = "format the buffer with byz's language server (byz fmt)" })
