-- Argo CD health of a Roster AccessToken (orgs.roster.dev/v1alpha1).
-- Healthy when its phase is Ready: the owner may request values for its
-- ServiceAccount. Degraded, with Roster's message, when it is Revoked (owner
-- removed or demoted below Contributor, expired, or revoked by someone):
-- revocation is final, so a token kept in Git must be replaced, not waited
-- for. Progressing while Pending or not yet reconciled at this generation.
-- Only Lua's base and table libraries are used: Argo CD opens no others.
local hs = { status = "Progressing", message = "Waiting for Roster to set up the token." }
if obj.status == nil then
  return hs
end
local generation = obj.metadata.generation
if generation ~= nil and obj.status.observedGeneration ~= nil and obj.status.observedGeneration ~= generation then
  hs.message = "Waiting for Roster to act on the latest change to the token."
  return hs
end
if obj.status.message ~= nil and obj.status.message ~= "" then
  hs.message = obj.status.message
end
if obj.status.phase == "Ready" then
  hs.status = "Healthy"
elseif obj.status.phase == "Revoked" then
  hs.status = "Degraded"
end
return hs
