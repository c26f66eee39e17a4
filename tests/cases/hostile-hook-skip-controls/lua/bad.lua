return {
  cell = function(c)
    for _, r in ipairs({"a\nb", "a\27[31mb", "a\rb", "a\u{202e}b", "a\u{2028}b", "fine"}) do
      local ok, err = pcall(function() c.skip = r end)
      print(ok, err)
    end
    c.skip = "x\n\27[31mRED\u{202e}"
  end,
}
