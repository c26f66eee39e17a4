local function down(n)
  return 1 + down(n + 1)
end

return {
  cell = function(c)
    down(1)
  end,
}
