package domain_test

import (
	"slices"
	"testing"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

func pe(id, name, card string) eldergate.RosterElder {
	return eldergate.RosterElder{Elder: eldergate.Elder{ID: id, Name: name, Active: true},
		Credentials: []eldergate.Credential{{Kind: eldergate.CredCard, Value: card, State: eldergate.CredActive}}}
}

// TestPreviewRoster: added, changed (with the fields), removed and
// unchanged elders, names masked; a card the cloud marked lost that the
// file lists again as active is no change (the state is kept); a removal
// or a gateway's local roster needs a confirmation, and the token changes
// with the version, the removals and the local gateways.
func TestPreviewRoster(t *testing.T) {
	lost := pe("E2", "李秀英", "C2")
	lost.Credentials[0].State = eldergate.CredLost
	cur := []eldergate.RosterElder{pe("E1", "张三明", "C1"), lost, pe("E3", "王建国", "C3"), pe("E4", "陈美玲", "C4")}
	renamed := pe("E3", "王建华", "C3")
	renamed.Birth = "1950-10-01"
	next := []eldergate.RosterElder{pe("E1", "张三明", "C1"), pe("E2", "李秀英", "C2"), renamed, pe("E5", "黄志强", "C5")}
	cloud := &eldergate.RosterReport{Source: eldergate.RosterSourceCloud, Version: 7, Elders: 4}
	p, err := domain.PreviewRoster("site-a", 7, cur, next, []domain.GatewayRoster{{GW: "gw-1", Reported: cloud}, {GW: "gw-2"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Counts != (domain.PreviewCounts{Added: 1, Changed: 1, Removed: 1, Unchanged: 2}) || p.Before != 4 || p.After != 4 || p.Lose != 1 {
		t.Fatalf("counts %+v before %d after %d lose %d", p.Counts, p.Before, p.After, p.Lose)
	}
	if p.Added[0].ID != "E5" || p.Added[0].Name != eldergate.MaskName("黄志强") || p.Removed[0].ID != "E4" || p.Removed[0].Name != eldergate.MaskName("陈美玲") {
		t.Fatalf("added %+v removed %+v", p.Added, p.Removed)
	}
	if p.Changed[0].ID != "E3" || !slices.Equal(p.Changed[0].Fields, []string{"birth", "name"}) || p.Changed[0].Name == "王建华" {
		t.Fatalf("changed %+v", p.Changed)
	}
	if !p.ConfirmNeeded || p.Gateways[0].ReplacesLocal || p.Gateways[1].Reported != nil {
		t.Fatalf("confirm %v gateways %+v", p.ConfirmNeeded, p.Gateways)
	}
	// The token binds the version, the removals and the local gateways.
	tok := p.Token
	for _, other := range []string{
		domain.PreviewToken("site-a", 8, []string{"E4"}, nil),
		domain.PreviewToken("site-a", 7, []string{"E4", "E1"}, nil),
		domain.PreviewToken("site-a", 7, []string{"E4"}, []string{"gw-1"}),
		domain.PreviewToken("site-b", 7, []string{"E4"}, nil),
		domain.PreviewToken("site-a", 7, nil, []string{"E4"}),
	} {
		if other == tok {
			t.Errorf("token %s confirms another effect", other)
		}
	}
	if domain.PreviewToken("site-a", 7, []string{"E4"}, nil) != tok {
		t.Error("the same effect gives another token")
	}
	// Nothing removed, no local roster: no confirmation needed.
	p, _ = domain.PreviewRoster("site-a", 7, cur, append(next, cur[3]), nil)
	if p.ConfirmNeeded || p.Lose != 0 {
		t.Fatalf("no removal: %+v", p)
	}
	// A gateway running its local seed: its roster is replaced, confirm.
	p, _ = domain.PreviewRoster("site-a", 0, nil, next, []domain.GatewayRoster{{GW: "gw-1", Reported: &eldergate.RosterReport{Source: eldergate.RosterSourceLocal, Elders: 9}}})
	if !p.ConfirmNeeded || !p.Gateways[0].ReplacesLocal || p.Lose != 0 || p.Counts.Added != 4 {
		t.Fatalf("local seed: %+v", p)
	}
}
