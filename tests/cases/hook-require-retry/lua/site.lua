for _ = 1, 2 do
  print(pcall(require, "broken"))
end
print(pcall(require, "loop"))
return {}
