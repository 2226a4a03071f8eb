// Package simloop is the event loop shared by the simulated drivers: a
// bounded queue fed by scripted inputs and drained by Run.
package simloop

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/eldergate/eldergate/drivers"
)

// ErrBusy is returned when the queue of scripted inputs is full.
var ErrBusy = errors.New("drivers: simulated device queue is full")

// Queue is a closable bounded queue of events.
type Queue[T any] struct {
	ch     chan T
	done   chan struct{}
	once   sync.Once
	status drivers.Status
}

// New returns a queue holding up to size pending events.
func New[T any](name string, size int, now time.Time) *Queue[T] {
	return &Queue[T]{
		ch:     make(chan T, size),
		done:   make(chan struct{}),
		status: drivers.Status{Name: name, Driver: "sim", Connected: true, Since: now},
	}
}

// Send queues v without blocking.
func (q *Queue[T]) Send(v T) error {
	select {
	case <-q.done:
		return drivers.ErrClosed
	default:
	}
	select {
	case q.ch <- v:
		return nil
	case <-q.done:
		return drivers.ErrClosed
	default:
		return ErrBusy
	}
}

// Run delivers queued events to fn until ctx is done or the queue closed.
func (q *Queue[T]) Run(ctx context.Context, fn func(T)) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-q.done:
			return drivers.ErrClosed
		case v := <-q.ch:
			fn(v)
		}
	}
}

// Status reports the simulated device as connected until closed.
func (q *Queue[T]) Status() drivers.Status {
	s := q.status
	select {
	case <-q.done:
		s.Connected = false
		s.Err = "closed"
	default:
	}
	return s
}

// Close stops Run. It is safe to call more than once.
func (q *Queue[T]) Close() error {
	q.once.Do(func() { close(q.done) })
	return nil
}
