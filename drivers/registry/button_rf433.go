package registry

// buttonRF433Entries lists the 433 MHz serial receivers.
func buttonRF433Entries() []Entry {
	return nil
}
