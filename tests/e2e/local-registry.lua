-- The e2e bases live on the test's own registry (tests/lib/registry.sh on
-- 127.0.0.1): run.sh copies this hook into its work directory as
-- lua/local-registry.lua, with @REGISTRY@ replaced by 127.0.0.1:PORT, and
-- the e2e matrices list it last, after the shipped hooks (quirks.lua has
-- moved 2.7 to bullseye by then: it only moves a base named `debian:...`).
-- `debian:bookworm-slim` becomes `127.0.0.1:PORT/debian:bookworm-slim`,
-- which `matrixc update` resolves to a digest on that registry.
local REGISTRY = "@REGISTRY@"

return {
  cell = function(c)
    c.base = REGISTRY .. "/" .. c.base
  end,
}
