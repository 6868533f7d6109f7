// Command minimal prints a string and exits. bench/token.sh times it as the baseline a Go
// process costs (runtime start-up, one write, exit) next to `webex token`.
package main

import "fmt"

func main() { fmt.Println("minimal") }
