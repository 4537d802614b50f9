-- Argo CD health of a Roster Invitation (orgs.roster.dev/v1alpha1).
-- Healthy when Roster's Ready condition is True: the link was sent and waits
-- for the invitee, or the invitee is already a member. Degraded, with the
-- condition's message, when it is False: delivery failed (Roster retries),
-- the invitation expired (a resend revives it), was declined, or failed
-- because the inviter lost the right to grant the role. Progressing while the
-- link is being sent or Roster has not reconciled the latest change.
-- Progressing while it waits for its Organization (OrganizationNotFound in
-- the namespace that will be its home: a folder applied in one sync);
-- Degraded when that Organization has another home (HomeNamespaceMismatch).
-- Only Lua's base and table libraries are used: Argo CD opens no others.
local hs = { status = "Progressing", message = "Waiting for Roster to send the invitation." }
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
local generation = obj.metadata.generation
if generation ~= nil and obj.status.observedGeneration ~= nil and obj.status.observedGeneration ~= generation then
  hs.message = "Waiting for Roster to act on the latest change to the invitation."
  return hs
end
for _, condition in ipairs(obj.status.conditions) do
  if condition.type == "Ready" then
    if generation ~= nil and condition.observedGeneration ~= nil and condition.observedGeneration ~= generation then
      hs.message = "Waiting for Roster to act on the latest change to the invitation."
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
