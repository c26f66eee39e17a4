-- Frozen into a matrixc of its own by the Makefile ($(BUILD)/probe), this
-- file is trusted as the shipped ones are (tests/trusted.t): what
-- matrixc's own hook files may and may not do.
print("require:", pcall(require, "anything"))
print("load:", pcall(load, "return 1"))
print("a new global:", pcall(function() probe_global = 1 end))
return {
  cell = function(c)
    -- 25 million VM instructions: more than a counted call may run
    local n = 0
    for _ = 1, 12500000 do n = n + 1 end
  end,
}
