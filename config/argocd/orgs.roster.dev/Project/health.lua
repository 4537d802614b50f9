-- Argo CD health of a Roster Project (orgs.roster.dev/v1alpha1).
-- Healthy when Ready: every namespace of the Project exists and every
-- member has their role's access there. Degraded, with Roster's message,
-- when a person must act: a namespace of that name that Roster did not
-- create (NamespaceConflict), the organization's maxProjects bound
-- (ProjectLimitExceeded), a deletion held for confirmation
-- (DeletionNeedsConfirmation). Progressing while Roster creates or deletes
-- namespaces, waits for the organization, or has not reconciled this
-- generation. Only Lua's base and table libraries are used: Argo CD opens
-- no others.
local hs = { status = "Progressing", message = "Waiting for Roster to create the project's namespaces." }
if obj.status == nil then
  return hs
end
local generation = obj.metadata.generation
if generation ~= nil and obj.status.observedGeneration ~= nil and obj.status.observedGeneration ~= generation then
  hs.message = "Waiting for Roster to act on the latest change to the project."
  return hs
end
local degraded = { NamespaceConflict = true, ProjectLimitExceeded = true, DeletionNeedsConfirmation = true }
if obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Ready" then
      if c.message ~= nil and c.message ~= "" then
        hs.message = c.message
      end
      if c.status == "True" then
        hs.status = "Healthy"
      elseif degraded[c.reason] then
        hs.status = "Degraded"
      end
    end
  end
end
return hs
