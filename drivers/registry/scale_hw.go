package registry

// scaleHWEntries lists the scales: mtsics, toledo, and, indicator, cas, hx711.
func scaleHWEntries() []Entry {
	return nil
}
