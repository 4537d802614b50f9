-- Argo CD health of a Roster Member (orgs.roster.dev/v1alpha1).
-- Healthy when Roster's Ready condition is True for the latest generation:
-- the role is applied and its RBAC written. Degraded, with the condition's
-- message, when it is False: a change held back because it would leave the
-- organization without an owner (LastOwner), a second Member for the same
-- user or group (Duplicate), RBAC that could not be applied. Progressing
-- while Roster has not reconciled the latest change.
-- Progressing while it waits for its Organization (OrganizationNotFound in
-- the namespace that will be its home: a folder applied in one sync);
-- Degraded when that Organization has another home (HomeNamespaceMismatch).
-- Only Lua's base and table libraries are used: Argo CD opens no others.
local hs = { status = "Progressing", message = "Waiting for Roster to apply the member's role." }
if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  hs.message = "Roster is removing the member."
end
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
local generation = obj.metadata.generation
if generation ~= nil and obj.status.observedGeneration ~= nil and obj.status.observedGeneration ~= generation then
  hs.message = "Waiting for Roster to apply the latest change to the member."
  return hs
end
for _, condition in ipairs(obj.status.conditions) do
  if condition.type == "Ready" then
    if generation ~= nil and condition.observedGeneration ~= nil and condition.observedGeneration ~= generation then
      hs.message = "Waiting for Roster to apply the latest change to the member."
      return hs
    end
    if condition.message ~= nil and condition.message ~= "" then
      hs.message = condition.message
    end
    if condition.status == "True" then
      hs.status = "Healthy"
    elseif condition.reason == "OrganizationNotFound" and (obj.status.organization == nil or obj.status.organization == "") then
      -- Waiting for its Organization, applied in the same sync: it takes
      -- effect when the Organization appears.
      hs.status = "Progressing"
    elseif condition.status == "False" then
      hs.status = "Degraded"
    end
    return hs
  end
end
return hs
