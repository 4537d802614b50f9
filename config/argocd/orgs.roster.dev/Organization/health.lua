-- Argo CD health of a Roster Organization (orgs.roster.dev/v1alpha1).
-- Healthy when Roster's Ready condition is True for the latest generation,
-- and while the organization has no Members at all (they come in a later
-- sync wave, which waits for this one); Degraded, with the condition's
-- message, when it is False otherwise (no owner among its Members, a home
-- namespace that belongs to another organization, RBAC that could not be
-- applied); Progressing while Roster has not reconciled the latest change.
-- Only Lua's base and table libraries are used: Argo CD opens no others.
local hs = { status = "Progressing", message = "Waiting for Roster to reconcile the organization." }
if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  hs.message = "Roster is removing the organization's access and home namespace."
  return hs
end
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
local generation = obj.metadata.generation
if generation ~= nil and obj.status.observedGeneration ~= nil and obj.status.observedGeneration ~= generation then
  hs.message = "Waiting for Roster to reconcile the latest change to the organization."
  return hs
end
for _, condition in ipairs(obj.status.conditions) do
  if condition.type == "Ready" then
    if generation ~= nil and condition.observedGeneration ~= nil and condition.observedGeneration ~= generation then
      hs.message = "Waiting for Roster to reconcile the latest change to the organization."
      return hs
    end
    if condition.message ~= nil and condition.message ~= "" then
      hs.message = condition.message
    end
    if condition.status == "True" then
      hs.status = "Healthy"
    elseif condition.status == "False" then
      if condition.reason == "NoOwner" and (obj.status.members == nil or obj.status.members == 0) then
        -- No Members yet: Git applies them after the Organization (a later
        -- sync wave), which waits for this one to be Healthy.
        hs.status = "Healthy"
        hs.message = "The organization has no members yet; its first owner Member is expected. " .. hs.message
      elseif condition.reason ~= "HomeNamespaceTerminating" and condition.reason ~= "Reconciling" then
        -- A home namespace still being deleted comes back by itself.
        hs.status = "Degraded"
      end
    end
    return hs
  end
end
return hs
