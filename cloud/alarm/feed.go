package alarm

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// FeedStore is what the feed reads.
type FeedStore interface {
	AlertLogHead(ctx context.Context) (int64, error)
	AlertLogSince(ctx context.Context, seq int64, limit int) ([]domain.AlertLogEntry, error)
	AlertsByID(ctx context.Context, ids []string) ([]domain.Alert, error)
}

// Change is one alert as it is now, with the timeline entries that
// changed it since the last Change of it.
type Change struct {
	Alert domain.Alert           `json:"alert"`
	Log   []domain.AlertLogEntry `json:"log"`
}

// Feed follows the alert timeline (alert_log) and hands every change to
// its subscribers (the console's board over SSE). It reads the store, so
// it sees the changes of every cloud process; Wake makes it read at once
// after a change in this process.
type Feed struct {
	store FeedStore
	every time.Duration
	log   *slog.Logger

	mu     sync.Mutex
	subs   map[chan []Change]struct{}
	gaps   map[int64]time.Time // seqs not seen yet below the head (only the feed's goroutine)
	wake   chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// SubscriberBuffer is how many batches of changes a subscriber may fall
// behind before it is dropped (its channel closed: it must reload).
const SubscriberBuffer = 64

// NewFeed returns a feed that reads store every every (default 250 ms).
func NewFeed(store FeedStore, every time.Duration, log *slog.Logger) *Feed {
	if every <= 0 {
		every = 250 * time.Millisecond
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Feed{store: store, every: every, log: log.With("component", "alarm-feed"), subs: map[chan []Change]struct{}{}, gaps: map[int64]time.Time{}, wake: make(chan struct{}, 1)}
}

// Start follows the timeline from its current end until Close.
func (f *Feed) Start(ctx context.Context) error {
	head, err := f.store.AlertLogHead(ctx)
	if err != nil {
		return err
	}
	ctx, f.cancel = context.WithCancel(context.Background())
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		t := time.NewTicker(f.every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				f.closeAll()
				return
			case <-t.C:
			case <-f.wake:
			}
			next, err := f.poll(ctx, head)
			if err != nil {
				if ctx.Err() == nil {
					f.log.Error("alarm: feed", "err", err)
				}
				continue
			}
			head = next
		}
	}()
	return nil
}

// Wake makes the feed read at once. It never blocks.
func (f *Feed) Wake() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Close stops the feed; every subscriber's channel is closed.
func (f *Feed) Close() {
	if f.cancel != nil {
		f.cancel()
	}
	f.wg.Wait()
}

// Subscribe returns a channel of changes and a function that ends the
// subscription. The channel is closed when the subscriber falls behind
// by SubscriberBuffer batches or the feed stops.
func (f *Feed) Subscribe() (<-chan []Change, func()) {
	ch := make(chan []Change, SubscriberBuffer)
	f.mu.Lock()
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := f.subs[ch]; ok {
			delete(f.subs, ch)
			close(ch)
		}
	}
}

func (f *Feed) closeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.subs {
		delete(f.subs, ch)
		close(ch)
	}
}

// gapWait is how long a missing seq is looked for again: with
// PostgreSQL a transaction may commit a lower seq after a higher one was
// read; a rolled-back one never comes.
const gapWait = 10 * time.Second

// poll reads the entries after head (and those of recent gaps) and
// broadcasts the changed alerts.
func (f *Feed) poll(ctx context.Context, head int64) (int64, error) {
	now := time.Now()
	for seq, since := range f.gaps {
		if now.Sub(since) > gapWait {
			delete(f.gaps, seq)
		}
	}
	from := head
	for seq := range f.gaps {
		from = min(from, seq-1)
	}
	for {
		entries, err := f.store.AlertLogSince(ctx, from, 500)
		if err != nil || len(entries) == 0 {
			return head, err
		}
		byAlert := map[string][]domain.AlertLogEntry{}
		var ids []string
		for _, e := range entries {
			if e.Seq <= head {
				if _, missing := f.gaps[e.Seq]; !missing {
					continue
				}
				delete(f.gaps, e.Seq)
			} else {
				for gap := max(head, from) + 1; gap < e.Seq; gap++ {
					if len(f.gaps) < 10000 {
						f.gaps[gap] = now
					}
				}
			}
			from = max(from, e.Seq)
			head = max(head, e.Seq)
			if _, ok := byAlert[e.AlertID]; !ok {
				ids = append(ids, e.AlertID)
			}
			byAlert[e.AlertID] = append(byAlert[e.AlertID], e)
		}
		from = max(from, entries[len(entries)-1].Seq)
		if len(ids) > 0 {
			alerts, err := f.store.AlertsByID(ctx, ids)
			if err != nil {
				return head, err
			}
			changes := make([]Change, 0, len(alerts))
			for _, a := range alerts {
				changes = append(changes, Change{Alert: a, Log: byAlert[a.ID]})
			}
			f.broadcast(changes)
		}
		if len(entries) < 500 {
			return head, nil
		}
	}
}

func (f *Feed) broadcast(changes []Change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.subs {
		select {
		case ch <- changes:
		default:
			f.log.Warn("alarm: board subscriber too slow, dropped")
			delete(f.subs, ch)
			close(ch)
		}
	}
}
