-- The Neovim setup, tried in a real headless Neovim (editors/ci.sh runs it):
--
--   nvim --headless --clean --cmd "set rtp^=editors/nvim" -c "luafile editors/nvim/test/run.lua"
--
-- with `byz` on PATH and the parser built (:ByzBuildParser). It opens .byz
-- files as a user would and checks the filetype, tree-sitter highlighting,
-- and the language server's diagnostics, completion, hover, definition and
-- formatting. With BYZ_NVIM_EXPECT_MISSING=1 it checks instead that with no
-- parser and no `byz` a .byz file opens without an error and says why.
-- The last line is `nvim: N passed, M failed`; Neovim exits 1 on a failure.
local passed, failed = 0, 0
local function check(name, ok, detail)
  if ok then
    passed = passed + 1
    print("ok   " .. name)
  else
    failed = failed + 1
    print("FAIL " .. name .. (detail and (": " .. tostring(detail)) or ""))
  end
end

local function finish()
  local version = vim.fn.execute("version"):match("NVIM v[%w%.%-]+") or "?"
  print(("nvim: %d passed, %d failed (%s)"):format(passed, failed, version))
  if failed > 0 then
    vim.cmd("cquit 1")
  else
    vim.cmd("qall!")
  end
end

local tmp = vim.fn.tempname()
vim.fn.mkdir(tmp, "p")
local function write(name, text)
  local path = tmp .. "/" .. name
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

local function all_messages()
  return vim.api.nvim_exec("messages", true)
end

if vim.env.BYZ_NVIM_EXPECT_MISSING == "1" then
  -- No parser, no byz: the file opens, gets its filetype, and two notices say why.
  vim.v.errmsg = ""
  local ok, err = pcall(vim.cmd, "edit " .. write("plain.byz", "scenario s {\n  aggregate cm\n}\n"))
  check("opens without an error", ok and vim.v.errmsg == "", err or vim.v.errmsg)
  check("filetype byz", vim.bo.filetype == "byz", vim.bo.filetype)
  vim.wait(200) -- the notices are scheduled
  local messages = all_messages()
  check("says the parser is missing and how to build it", messages:find(":ByzBuildParser", 1, true) ~= nil, messages)
  check("says byz is not on PATH", messages:find("is not on PATH", 1, true) ~= nil, messages)
  finish()
  return
end

-- The language server's answer to `method` at (line, character) of the current buffer.
local function request(method, line, character, extra)
  local params = vim.tbl_extend("force", {
    textDocument = vim.lsp.util.make_text_document_params(),
    position = { line = line, character = character },
  }, extra or {})
  local answers = vim.lsp.buf_request_sync(0, method, params, 10000) or {}
  for _, answer in pairs(answers) do
    if answer.result then
      return answer.result
    end
  end
  return nil
end

local function attached()
  local clients = (vim.lsp.get_clients or vim.lsp.get_active_clients)({ bufnr = 0 })
  return #clients > 0
end

-- 1. A file with a mistake: filetype, highlighting, diagnostics.
local broken = write(
  "broken.byz",
  "base b {\n  workers {\n    honest 5\n    byzantine 1\n  }\n}\n\nscenario s extends b {\n  aggregate krumm\n}\n"
)
vim.cmd("edit " .. broken)
check("filetype byz", vim.bo.filetype == "byz", vim.bo.filetype)
check("commentstring", vim.bo.commentstring == "// %s", vim.bo.commentstring)
check("tree-sitter highlighting is on", vim.treesitter.highlighter.active[vim.api.nvim_get_current_buf()] ~= nil)
local get_query = (vim.treesitter.query and vim.treesitter.query.get) or vim.treesitter.get_query
local query = get_query("byz", "highlights")
local tree = vim.treesitter.get_parser(0, "byz"):parse()[1]
local first = nil
for id, node in query:iter_captures(tree:root(), 0, 0, 1) do
  first = first or query.captures[id] .. " " .. vim.treesitter.get_node_text(node, 0)
end
check("`base` is captured as @keyword.type", first == "keyword.type base", first)
check("the language server attaches", vim.wait(10000, attached, 50), "no client")
local diagnostics = {}
vim.wait(10000, function()
  diagnostics = vim.diagnostic.get(0)
  return #diagnostics > 0
end, 50)
local at_krumm = nil
for _, d in ipairs(diagnostics) do
  if d.lnum == 8 and d.col == 12 then
    at_krumm = d
  end
end
check(
  "diagnostic at `krumm` that suggests `krum`",
  at_krumm and at_krumm.message:find("krum", 1, true) ~= nil,
  vim.inspect(diagnostics)
)

-- 2. Completion after `aggregate `, hover on a rule, definition of a base.
vim.api.nvim_buf_set_lines(0, 8, 9, false, { "  aggregate " })
local completion = request("textDocument/completion", 8, 12) or {}
local labels = {}
for _, item in ipairs(completion.items or completion) do
  labels[item.label] = true
end
check("completion offers the rules", labels["cm"] and labels["krum"] and labels["tm"], vim.inspect(vim.tbl_keys(labels)))
vim.api.nvim_buf_set_lines(0, 8, 9, false, { "  aggregate cm" })
local hover = request("textDocument/hover", 8, 13)
local text = hover and (hover.contents.value or vim.inspect(hover.contents)) or ""
check("hover on `cm` explains it", text:lower():find("median", 1, true) ~= nil, text)
local definition = request("textDocument/definition", 7, 20)
local location = definition and (definition.uri and definition or definition[1]) or {}
check(
  "definition of `b` is the base on line 1",
  location.uri == vim.uri_from_fname(broken) and location.range.start.line == 0,
  vim.inspect(definition)
)

-- 3. Formatting gives byz fmt's layout.
vim.api.nvim_buf_set_lines(0, 0, -1, false, { "scenario   f {", "aggregate   cm", "      seeds 1..=2 }" })
require("byz").format(0)
local lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
check(
  "formatting",
  table.concat(lines, "\n") == "scenario f {\n  aggregate cm\n  seeds 1..=2\n}",
  table.concat(lines, "\n")
)
finish()
