-- hook files of your own share their library tables
assert(string.shout == string.upper)
assert(not pcall(mx.add, {}, "x"))
return {}
