package index

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Cache indexes: a token's hash finds its Invitation (current or replaced
// link) in one lookup, and a used token's hash finds the Member it made.
const (
	InvitationByTokenHash = "roster.invitation.tokenHash"
	MemberByAcceptedToken = "roster.member.acceptedToken"
)

// RegisterInvitationIndexes adds the invitation indexes to the manager's cache.
func RegisterInvitationIndexes(ctx context.Context, indexer client.FieldIndexer) error {
	if err := indexer.IndexField(ctx, &orgsv1alpha1.Invitation{}, InvitationByTokenHash, invitationHashes); err != nil {
		return fmt.Errorf("indexing invitations by token hash: %w", err)
	}
	if err := indexer.IndexField(ctx, &orgsv1alpha1.Member{}, MemberByAcceptedToken, acceptedToken); err != nil {
		return fmt.Errorf("indexing members by accepted token: %w", err)
	}
	return nil
}

func invitationHashes(obj client.Object) []string {
	inv, ok := obj.(*orgsv1alpha1.Invitation)
	if !ok {
		return nil
	}
	var out []string
	if inv.Status.TokenHash != "" {
		out = append(out, inv.Status.TokenHash)
	}
	return append(out, inv.Status.PreviousTokenHashes...)
}

func acceptedToken(obj client.Object) []string {
	if h := obj.GetAnnotations()[orgsv1alpha1.AcceptedTokenAnnotation]; h != "" {
		return []string{h}
	}
	return nil
}
