-- byz in Neovim (0.7 or newer). Each feature uses the newest API the running
-- Neovim has and falls back to the 0.7 one:
--
--   feature              0.7                                   0.8+ / 0.9+
--   load the parser      vim.treesitter.require_language       vim.treesitter.language.add (0.9)
--   highlight            vim.treesitter.highlighter.new        vim.treesitter.start (0.8)
--   folds                (none)                                vim.treesitter.foldexpr (0.9)
--   language server      vim.lsp.start_client + attach         vim.lsp.start (0.8)
--   format               vim.lsp.buf.formatting_sync           vim.lsp.buf.format (0.8)
--
-- What cannot start (no parser built, no `byz` on PATH) says so once, with
-- the fix, and the rest keeps working: a .byz file never opens with an error.
local M = {}

M.config = {
  -- The language server's command; `byz` is looked up on PATH.
  cmd = { "byz", "lsp" },
}

--- Overrides the defaults, e.g. `require("byz").setup({ cmd = { "/path/to/byz", "lsp" } })`.
function M.setup(opts)
  M.config = vim.tbl_extend("force", M.config, opts or {})
end

-- This plugin's folder (editors/nvim), from this file's path.
local function plugin_dir()
  local source = debug.getinfo(1, "S").source:sub(2)
  return vim.fn.fnamemodify(source, ":p:h:h:h")
end

local told = {}
-- Says `message` once per session (vim.notify_once is 0.8+).
local function tell_once(key, message)
  if told[key] then
    return
  end
  told[key] = true
  vim.schedule(function()
    vim.notify(message, vim.log.levels.WARN)
  end)
end

-- Loads the byz parser; false (and says why, once) when it is not built.
local function load_parser()
  local add = (vim.treesitter.language and vim.treesitter.language.add) or vim.treesitter.require_language
  local ok, loaded = pcall(add, "byz")
  if ok and loaded ~= false and loaded ~= nil then
    return true
  end
  tell_once(
    "parser",
    "byz: no tree-sitter parser for .byz files, so no highlighting or folds. Run :ByzBuildParser "
      .. "(needs a C compiler), then reopen the file."
  )
  return false
end

local function treesitter(buf)
  if not load_parser() then
    return
  end
  if vim.treesitter.start then
    vim.treesitter.start(buf, "byz")
  else
    vim.treesitter.highlighter.new(vim.treesitter.get_parser(buf, "byz"))
  end
  if vim.treesitter.foldexpr and vim.api.nvim_get_current_buf() == buf then
    vim.wo.foldmethod = "expr"
    vim.wo.foldexpr = "v:lua.vim.treesitter.foldexpr()"
    vim.wo.foldlevel = 99
  end
end

-- The folder holding `.git` above the buffer's file, else the file's folder.
local function root_dir(buf)
  local file = vim.api.nvim_buf_get_name(buf)
  local dir = vim.fn.fnamemodify(file, ":p:h")
  local git = vim.fn.finddir(".git", dir .. ";")
  if git ~= "" then
    return vim.fn.fnamemodify(git, ":p:h:h")
  end
  return dir
end

local client_id -- 0.7: one client, attached to every byz buffer

local function language_server(buf)
  local cmd = M.config.cmd
  if vim.fn.executable(cmd[1]) == 0 then
    tell_once(
      "server",
      ("byz: `%s` is not on PATH, so no diagnostics, completion, hover, go-to-definition or "
        .. "formatting. Install it (`cargo install --path .` in the byz repository) or point "
        .. 'require("byz").setup({ cmd = { "/path/to/byz", "lsp" } }) at it.'):format(cmd[1])
    )
    return
  end
  local config = { name = "byz", cmd = cmd, root_dir = root_dir(buf) }
  if vim.lsp.start then
    vim.lsp.start(config, { bufnr = buf })
    return
  end
  if not client_id or not vim.lsp.get_client_by_id(client_id) then
    client_id = vim.lsp.start_client(config)
  end
  if client_id then
    vim.lsp.buf_attach_client(buf, client_id)
  end
end

--- Sets up a .byz buffer: comments, tree-sitter, the language server.
function M.attach(buf)
  vim.bo[buf].commentstring = "// %s"
  vim.bo[buf].expandtab = true
  vim.bo[buf].shiftwidth = 2
  treesitter(buf)
  language_server(buf)
end

--- Formats `buf` with the language server (the layout of `byz fmt`).
function M.format(buf)
  if vim.lsp.buf.format then
    vim.lsp.buf.format({ bufnr = buf, name = "byz", timeout_ms = 5000 })
  else
    vim.lsp.buf.formatting_sync(nil, 5000)
  end
end

--- Compiles editors/tree-sitter-byz/src/parser.c into this plugin's parser/byz.so.
function M.build_parser()
  local dir = plugin_dir()
  local src = vim.fn.fnamemodify(dir .. "/../tree-sitter-byz/src", ":p")
  local out = dir .. "/parser/byz.so"
  local cc = vim.env.CC or "cc"
  if vim.fn.executable(cc) == 0 then
    vim.notify("byz: no C compiler (`" .. cc .. "`) to build the parser with", vim.log.levels.ERROR)
    return false
  end
  vim.fn.mkdir(dir .. "/parser", "p")
  local result =
    vim.fn.system({ cc, "-O2", "-shared", "-fPIC", "-I", src, src .. "parser.c", "-o", out })
  if vim.v.shell_error ~= 0 then
    vim.notify("byz: building the parser failed:\n" .. result, vim.log.levels.ERROR)
    return false
  end
  vim.notify("byz: built " .. out .. "; reopen .byz files to highlight them")
  return true
end

return M
