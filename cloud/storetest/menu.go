package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

func menuOf(dishes ...eldergate.Dish) eldergate.Menu { return eldergate.Menu{Dishes: dishes} }

func dish(id, zh string, fen eldergate.Fen, windows ...string) eldergate.Dish {
	return eldergate.Dish{ID: id, Name: map[string]string{"zh-CN": zh, "en": id}, PriceFen: fen, Windows: windows}
}

// testMenu: a site's menu is stored whole with who set it when; its
// version grows by one with each change and stays when the same dishes
// are set again; sites are apart; a gateway is due the menu until its
// current version is queued to it, and again when that command expired
// unanswered or the gateway moved site.
func testMenu(t *testing.T, s domain.Store) {
	ctx := context.Background()
	site, other := "site-menu-"+NewID(t)[:8], "site-menu-other"
	if _, err := s.Menu(ctx, site); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("no menu yet: %v, want ErrNotFound", err)
	}
	rice := dish("rice", "米饭", 100)
	egg := dish("egg", "番茄炒蛋", 600, "lunch", "dinner")
	m1, changed, err := s.SetMenu(ctx, site, menuOf(rice, egg), "token op", base)
	if err != nil || !changed || m1.Version != "1" || m1.Site != site || m1.SetBy != "token op" || !m1.SetAt.Equal(base) {
		t.Fatalf("first menu: %+v changed %v, %v", m1, changed, err)
	}
	got, err := s.Menu(ctx, site)
	if err != nil || got.Version != "1" || len(got.Dishes) != 2 || got.Dishes[1].Name["zh-CN"] != "番茄炒蛋" ||
		got.Dishes[1].PriceFen != 600 || len(got.Dishes[1].Windows) != 2 || got.SetBy != "token op" || !got.SetAt.Equal(base) {
		t.Fatalf("menu read back: %+v, %v", got, err)
	}
	again, changed, err := s.SetMenu(ctx, site, menuOf(rice, egg), "token other", base.Add(time.Minute))
	if err != nil || changed || again.Version != "1" || again.SetBy != "token op" {
		t.Fatalf("same dishes again: %+v changed %v, %v", again, changed, err)
	}
	egg.Off = true
	m2, changed, err := s.SetMenu(ctx, site, menuOf(rice, egg), "token two", base.Add(time.Hour))
	if err != nil || !changed || m2.Version != "2" || m2.SetBy != "token two" {
		t.Fatalf("sold out is a change: %+v changed %v, %v", m2, changed, err)
	}
	if got, _ := s.Menu(ctx, site); !got.Dishes[1].Off || got.Version != "2" {
		t.Fatalf("after change: %+v", got)
	}
	if o, changed, err := s.SetMenu(ctx, other, menuOf(), "x", base); err != nil || !changed || o.Version != "1" || o.Dishes == nil {
		t.Fatalf("other site's empty menu: %+v %v %v", o, changed, err)
	}
	if got, _ := s.Menu(ctx, site); got.Version != "2" {
		t.Fatalf("another site's menu moved this one: %+v", got)
	}

	// What a gateway is due.
	gw := "gw-menu-" + NewID(t)[:8]
	if _, due, err := s.MenuDue(ctx, gw, "site-without-menu", base); err != nil || due {
		t.Fatalf("site without menu: due %v, %v", due, err)
	}
	if m, due, err := s.MenuDue(ctx, gw, site, base); err != nil || !due || m.Version != "2" {
		t.Fatalf("never queued: %+v due %v, %v", m, due, err)
	}
	now := base.Add(2 * time.Hour)
	c := domain.Command{ID: "menu-" + NewID(t), GW: gw, Type: eldergate.CmdMenu, Body: []byte(`{}`), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.QueueCommand(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.NoteMenuCommand(ctx, gw, site, 2, c.ID, now); err != nil {
		t.Fatal(err)
	}
	if _, due, err := s.MenuDue(ctx, gw, site, now.Add(time.Minute)); err != nil || due {
		t.Fatalf("queued and pending: due %v, %v", due, err)
	}
	if _, due, _ := s.MenuDue(ctx, gw, site, now.Add(time.Hour)); !due {
		t.Fatal("queued command expired unanswered: not due")
	}
	if err := s.NoteMenuCommand(ctx, gw, site, 1, "older", now); err != nil {
		t.Fatal(err)
	}
	if _, due, _ := s.MenuDue(ctx, gw, site, now.Add(time.Minute)); due {
		t.Fatal("an older version noted later replaced the newer one")
	}
	if err := s.RecordCommandResult(ctx, gw, c.ID, false, "refused", nil, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, due, _ := s.MenuDue(ctx, gw, site, now.Add(2*time.Hour)); due {
		t.Fatal("a refused menu is due again")
	}
	if _, due, _ := s.MenuDue(ctx, gw, other, now); !due {
		t.Fatal("a gateway moved to another site is not due that site's menu")
	}
	if _, _, err := s.SetMenu(ctx, site, menuOf(rice), "op", now); err != nil {
		t.Fatal(err)
	}
	if m, due, _ := s.MenuDue(ctx, gw, site, now.Add(time.Minute)); !due || m.Version != "3" {
		t.Fatalf("a new version: %+v due %v", m, due)
	}
}
