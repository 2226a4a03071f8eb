package registry

// buttonGPIOEntries lists the GPIO emergency buttons.
func buttonGPIOEntries() []Entry {
	return nil
}
