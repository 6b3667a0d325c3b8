package engine

// Expressions are checked for length and nesting on their text, before any
// parser sees them: expr's parser recurses once per level of nesting, and
// half a million parentheses overflow the stack, which no recover() catches.

// checkText checks an expression's length and nesting against the limits,
// recording a load error at the first place over either. A text that fails
// is remembered, so that nothing parses it later.
func (c *compiler) checkText(s src, what string) bool {
	if c.badText[[2]int{s.line, s.col}] {
		return false
	}
	bad := func(off int, format string, args ...any) bool {
		line, col := offsetToLineCol([]rune(s.text[:min(off, len(s.text))]), off)
		l, cl := c.position(s, line, col)
		c.el.add(l, cl, CodeLimit, "%s: "+format, append([]any{what}, args...)...)
		c.badText[[2]int{s.line, s.col}] = true
		return false
	}
	if n := len(s.text); n > c.lim.ExprChars {
		return bad(0, "the expression has %d characters; the limit is %d", n, c.lim.ExprChars)
	}
	if off, depth := nestingOver(s.text, c.lim.Nesting); off >= 0 {
		return bad(off, "the expression is nested %d levels deep here; the limit is %d", depth, c.lim.Nesting)
	}
	return true
}

// nestingOver scans an expression for the first place where brackets
// ((, [, {), prefix operators (!, not, unary - and +) and conditionals
// (a ? b : c, whose else branch the parser enters once per ?) nest deeper
// than limit, skipping string literals. It returns the byte offset there and
// the depth, or -1.
func nestingOver(text string, limit int) (int, int) {
	type level struct{ unary, ternaries int }
	depth := 0        // open brackets and conditionals
	cur := level{}    // prefix operators in a row, and conditionals, at this bracket level
	var stack []level // the enclosing levels
	operand := true   // the next token is an operand (so - and + are prefix)
	over := func() bool { return depth+cur.unary > limit }
	for i := 0; i < len(text); i++ {
		ch := text[i]
		switch {
		case ch == '"' || ch == '\'' || ch == '`':
			i = skipString(text, i)
			operand, cur.unary = false, 0
			continue
		case ch == '(' || ch == '[' || ch == '{':
			stack = append(stack, cur)
			depth += 1 + cur.unary // the prefix operators before the bracket enclose it
			cur, operand = level{}, true
			if over() {
				return i, depth
			}
			continue
		case ch == ')' || ch == ']' || ch == '}':
			if len(stack) > 0 {
				outer := stack[len(stack)-1]
				depth -= 1 + outer.unary + cur.ternaries
				cur = outer
				stack = stack[:len(stack)-1]
			}
			operand, cur.unary = false, 0
			continue
		case ch == '?':
			if i+1 < len(text) && (text[i+1] == '?' || text[i+1] == '.') {
				i++ // ?? and ?. are binary
				operand, cur.unary = text[i] == '?', 0
				continue
			}
			depth++
			cur.ternaries++
			cur.unary = 0
			if over() {
				return i, depth
			}
			operand = true
			continue
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			continue
		case operand && (ch == '!' || ch == '-' || ch == '+'):
			if ch == '!' && i+1 < len(text) && text[i+1] == '=' {
				break
			}
			cur.unary++
			if over() {
				return i, depth + cur.unary
			}
			continue
		case operand && ch == 'n' && len(text) >= i+4 && text[i:i+3] == "not" && !isWordByte(text[i+3]) && (i == 0 || !isWordByte(text[i-1])):
			cur.unary++
			if over() {
				return i, depth + cur.unary
			}
			i += 2
			continue
		}
		if isWordByte(ch) || ch == '#' || ch == '$' {
			for i+1 < len(text) && isWordByte(text[i+1]) {
				i++
			}
			operand, cur.unary = false, 0
			continue
		}
		operand = ch != '.' // an operator: an operand follows (a member's name is not one)
		if ch == '.' && i+1 < len(text) && text[i+1] == '.' {
			operand = true // a range
		}
	}
	return -1, 0
}

// skipString returns the offset of the quote closing the string literal that
// opens at i (the end of text when it is not closed).
func skipString(text string, i int) int {
	q := text[i]
	for j := i + 1; j < len(text); j++ {
		switch text[j] {
		case '\\':
			if q != '`' {
				j++
			}
		case q:
			return j
		}
	}
	return len(text)
}

func isWordByte(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b >= 0x80
}
