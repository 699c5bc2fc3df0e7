package models

// Template-variable leftovers. Grafana expands $name, ${name}, ${name:fmt}
// and [[name]] in a query before sending it; a variable the dashboard does
// not define (or a query copied from another dashboard) arrives as is. Sent
// upstream, "$enterprise" is just an id that matches nothing: an empty
// answer, and an alert rule that sees "no data" instead of an error. Every
// string field and list entry of every query model is checked, by one walk
// over the model's JSON fields.

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
)

// variableRef matches what Grafana's template service reads as a variable:
// $name, [[name]] or [[name:fmt]], ${name}, ${name.field} or ${name:fmt}
// (public/app/features/templating/template_srv's variableRegex).
var variableRef = regexp.MustCompile(`\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^\}]+))?(?::([^\}]+))?\}`)

// checkVariables returns an error naming the first field of q (a pointer to
// a query model) whose value, or one of whose list entries, holds a
// template variable Grafana did not expand.
func checkVariables(q any) error {
	return walkStrings(reflect.ValueOf(q).Elem(), CheckVariable)
}

// CheckVariable returns an error naming field when value holds a template
// variable Grafana did not expand; for values outside a query model too (a
// resource route's parameter).
func CheckVariable(field, value string) error {
	ref := variableRef.FindString(value)
	if ref == "" {
		return nil
	}
	if ref == strings.TrimSpace(value) {
		return fmt.Errorf("%s: %s is a template variable Grafana could not expand — define it on the dashboard (Dashboard settings → Variables) or put a value in its place", field, Quote(ref))
	}
	return fmt.Errorf("%s: %s holds the template variable %s, which Grafana could not expand — define it on the dashboard (Dashboard settings → Variables) or put a value in its place", field, Quote(value), Quote(ref))
}

// walkStrings calls fn with the JSON name and the value of every string
// field and every entry of every []string field of the struct v, embedded
// structs included; fields that are not decoded (json:"-") are left out.
func walkStrings(v reflect.Value, fn func(field, value string) error) error {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" || !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		f := v.Field(i)
		switch {
		case sf.Anonymous && f.Kind() == reflect.Struct:
			if err := walkStrings(f, fn); err != nil {
				return err
			}
		case f.Kind() == reflect.String:
			if err := fn(name, f.String()); err != nil {
				return err
			}
		case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String:
			for j := range f.Len() {
				if err := fn(name, f.Index(j).String()); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
