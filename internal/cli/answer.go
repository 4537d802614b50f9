package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/roster-dev/roster/controllers/invitation"
	"github.com/roster-dev/roster/internal/acceptserver"
)

const (
	answerAccept  = invitation.DecisionAccept
	answerDecline = invitation.DecisionDecline
)

// Answer is what accept and decline print with -o json|yaml: the
// invitation server's answer, as its JSON API sent it.
type Answer struct {
	Kind     string `json:"kind"`
	Decision string `json:"decision"`
	// HTTPStatus is the server's status code.
	HTTPStatus int `json:"httpStatus"`
	acceptserver.APIResponse
}

func newAnswerCommand(o *Options, decision string) *cobra.Command {
	var serverURL string
	verb := "Accept"
	long := `Accept an invitation: give the link from the invitation e-mail, or the token
alone with --server-url. Roster makes you a member with the invited role. No
kubeconfig is needed: the link is the credential, and it works once.`
	if decision == answerDecline {
		verb = "Decline"
		long = `Decline an invitation: give the link from the invitation e-mail, or the token
alone with --server-url. Nothing else changes. No kubeconfig is needed.`
	}
	cmd := &cobra.Command{
		Use:   decision + " LINK-OR-TOKEN",
		Short: verb + " an invitation from its link",
		Long: long + `

Exit code: 0 done; 3 refused (the inviter may no longer grant the role);
4 unknown link; 7 the link can no longer be used (expired, used, declined,
revoked, or replaced by a resend); 2 a malformed link; 1 anything else.`,
		Example: fmt.Sprintf(`  kubectl roster %s 'https://roster.example.com/invitations/accept?token=...'
  kubectl roster %s TOKEN --server-url https://roster.example.com`, decision, decision),
		Args: exactArgs("LINK-OR-TOKEN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.answer(cmd.Context(), args[0], serverURL, decision)
		},
	}
	cmd.Flags().StringVar(&serverURL, "server-url", "", "The invitation server's base URL (Roster's --invite-base-url), for a bare token or to override the link's")
	return cmd
}

// parseLink splits an invitation link into the server's base URL and the
// token; a bare token takes serverURL as the base. serverURL, when set,
// overrides the link's own base.
func parseLink(s, serverURL string) (base, token string, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "", usageErrorf("give the link from the invitation e-mail (or its token with --server-url)")
	}
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return "", "", usageErrorf("not an invitation link: %v", err)
		}
		token = u.Query().Get("token")
		prefix, ok := strings.CutSuffix(strings.TrimRight(u.Path, "/"), invitation.AcceptPath)
		if !ok || token == "" {
			return "", "", usageErrorf("not an invitation link: it should look like https://HOST%s?token=TOKEN", invitation.AcceptPath)
		}
		base = (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: prefix}).String()
	} else {
		token = s
		if serverURL == "" {
			return "", "", usageErrorf("a bare token needs --server-url (the invitation server's address, the start of the link in the e-mail)")
		}
	}
	if serverURL != "" {
		base = serverURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", usageErrorf("the invitation server's URL %q must be an absolute http or https URL", base)
	}
	if !invitation.WellFormed(token) {
		return "", "", usageErrorf("the token is not one Roster issues (%d characters; a token has 43): copy the whole link from the e-mail", len(token))
	}
	return strings.TrimRight(base, "/"), token, nil
}

// answerCodes maps the invitation server's status codes to exit codes.
var answerCodes = map[int]int{
	http.StatusOK:         ExitOK,
	http.StatusBadRequest: ExitUsage,
	http.StatusForbidden:  ExitRefused,
	http.StatusNotFound:   ExitNotFound,
	http.StatusGone:       ExitLinkUnusable,
}

func (o *Options) answer(ctx context.Context, link, serverURL, decision string) error {
	base, token, err := parseLink(link, serverURL)
	if err != nil {
		return err
	}
	body, err := json.Marshal(acceptserver.APIRequest{Token: token, Decision: decision})
	if err != nil {
		return err
	}
	endpoint := base + invitation.APIPath
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	hc := o.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	o.progress("%sing the invitation at %s", strings.TrimSuffix(decision, "e"), base)
	resp, err := hc.Do(req)
	o.progressDone()
	if err != nil {
		return withHint(err, fmt.Sprintf("could not reach the invitation server at %s; check the link, or pass --server-url", base))
	}
	defer func() { _ = resp.Body.Close() }()
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var out Answer
	if mediaType != "application/json" || json.Unmarshal(raw, &out.APIResponse) != nil || out.Outcome == "" {
		return withHint(fmt.Errorf("unexpected answer from %s: HTTP %s", endpoint, resp.Status),
			"is that Roster's invitation server? Its address is the start of the link in the invitation e-mail")
	}
	out.Kind, out.Decision, out.HTTPStatus = "InvitationAnswer", decision, resp.StatusCode
	code, known := answerCodes[resp.StatusCode]
	if !known {
		code = ExitError
	}
	if code != ExitOK {
		hint := ""
		if after := resp.Header.Get("Retry-After"); after != "" {
			hint = "try again in " + after + " seconds"
		}
		if o.structured() {
			if err := o.printData(out); err != nil {
				return err
			}
		}
		return &exitError{code: code, err: errors.New(out.Message), hint: hint}
	}
	if o.structured() {
		return o.printData(out)
	}
	o.say(out.Message)
	return nil
}
