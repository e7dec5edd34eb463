"""Reviewer decisions in the admin: one object (buttons on its page) or many
(bulk actions with an intermediate page for the note).

The admin only routes: every decision calls a service, which locks the row,
checks the transition table and records an event. Each object is decided in
its own transaction (the services are atomic), so a bulk action never
half-applies one object; objects a service refuses are reported as skipped
with the service's reason.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.workflow import DomainError

NOTE_NONE, NOTE_OPTIONAL, NOTE_REQUIRED = "none", "optional", "required"


@dataclass(frozen=True)
class Decision:
    """One decision a reviewer can take on an object.

    ``perform(obj, by=user, note=str)`` calls the service; the button is offered
    while the object's model transition table (``transitions``, the one the service
    checks) allows ``target_status`` from its current status, so the admin never
    disagrees with the services; ``target_status`` also lets a repeated decision
    answer calmly ("already approved").
    """

    name: str
    label: str
    done_message: str  # shown after a single decision, e.g. "%(object)s was approved."
    permission: str
    perform: Callable
    transitions: Mapping[str, frozenset[str]]
    target_status: str
    note: str = NOTE_OPTIONAL
    note_label: str = gettext_lazy("Note")
    note_help: str = ""
    button_class: str = ""
    bulk_label: str = ""  # the bulk action's name, e.g. "Approve selected promotions…"

    def available(self, obj) -> bool:
        return self.target_status in self.transitions.get(obj.status, frozenset())


class DecisionForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, decision: Decision, **kwargs):
        super().__init__(*args, **kwargs)
        if decision.note == NOTE_NONE:
            del self.fields["note"]
        else:
            field = self.fields["note"]
            field.label = decision.note_label
            field.help_text = decision.note_help
            field.required = decision.note == NOTE_REQUIRED
            if field.required:
                field.error_messages["required"] = _("A note is required for this decision.")

    def clean_note(self):
        note = self.cleaned_data.get("note", "").strip()
        if self.fields["note"].required and not note:
            raise ValidationError(_("A note is required for this decision."), code="required")
        return note


def _error_text(error):
    if isinstance(error, DomainError):
        return error.message
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You are not allowed to do this.")


@dataclass
class DecisionReport:
    done: list
    skipped: list  # (obj, reason)

    def send(self, request, decision: Decision):
        if self.done:
            messages.success(
                request,
                _("%(decision)s: %(count)d done (%(objects)s).")
                % {
                    "decision": decision.label,
                    "count": len(self.done),
                    "objects": ", ".join(str(obj) for obj in self.done),
                },
            )
        if self.skipped:
            messages.warning(
                request,
                format_html(
                    "{} <ul>{}</ul>",
                    _("%(count)d skipped:") % {"count": len(self.skipped)},
                    format_html_join("", "<li>{}: {}</li>", ((str(obj), reason) for obj, reason in self.skipped)),
                ),
            )
        if not self.done and not self.skipped:
            messages.info(request, _("Nothing was selected."))


def run_decision(decision: Decision, objects, *, by, note="", log=None) -> DecisionReport:
    """Decide each object on its own; ``log(obj, message)`` also records it in the admin's log."""
    report = DecisionReport(done=[], skipped=[])
    for obj in objects:
        if obj.status == decision.target_status:
            report.skipped.append((obj, _("already “%(status)s”") % {"status": obj.get_status_display()}))
            continue
        try:
            decision.perform(obj, by=by, note=note)
        except (DomainError, PermissionDenied, ValidationError) as error:
            report.skipped.append((obj, _error_text(error)))
        else:
            report.done.append(obj)
            if log is not None:
                log(obj, f"{decision.label}: {note}" if note else str(decision.label))
    return report


class DecisionAdminMixin:
    """Adds decision buttons on the change page, a page per decision, and one
    bulk action per decision (with an intermediate page for the note)."""

    decisions: tuple[Decision, ...] = ()
    change_form_template = "admin/festival/decision_change_form.html"
    decision_template = "admin/festival/decision.html"

    def decisions_for(self, request):
        return [d for d in self.decisions if request.user.has_perm(d.permission)]

    def get_decision(self, request, name) -> Decision:
        for decision in self.decisions_for(request):
            if decision.name == name:
                return decision
        raise PermissionDenied

    # URLs ------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/decide/<slug:decision>/",
                self.admin_site.admin_view(self.decision_view),
                name="{}_{}_decide".format(*info),
            ),
            *super().get_urls(),
        ]

    def decision_url(self, obj, decision):
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_decide",
            args=[obj.pk, decision.name],
            current_app=self.admin_site.name,
        )

    def change_url(self, obj):
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[obj.pk],
            current_app=self.admin_site.name,
        )

    # Single object ----------------------------------------------------

    def decision_view(self, request, object_id, decision):
        decision = self.get_decision(request, decision)
        obj = get_object_or_404(self.get_queryset(request), pk=unquote(object_id))
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        # The role held in the team that owns this object (a reviewer here may be a viewer there).
        if not request.user.has_perm(decision.permission, obj):
            raise PermissionDenied
        form = DecisionForm(request.POST or None, decision=decision)
        if request.method == "POST" and form.is_valid():
            report = run_decision(
                decision, [obj], by=request.user, note=form.cleaned_data.get("note", ""), log=self._logger(request)
            )
            if report.done:
                messages.success(request, decision.done_message % {"object": obj})
            for skipped, reason in report.skipped:
                messages.error(
                    request, _("%(object)s was not changed: %(reason)s") % {"object": skipped, "reason": reason}
                )
            if "_review_next" in request.POST:
                following = self.next_in_queue(request, obj)
                if following is not None:
                    return HttpResponseRedirect(self.change_url(following))
                messages.info(request, _("The queue is empty: nothing else is waiting for review."))
                return HttpResponseRedirect(
                    reverse(
                        f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist",
                        current_app=self.admin_site.name,
                    )
                )
            return HttpResponseRedirect(self.change_url(obj))
        return self.render_decision_page(request, decision, [obj], form, single=True)

    # The review queue: "save and review next" -------------------------------

    has_review_queue = False

    def next_in_queue(self, request, obj):
        """The next object waiting for a decision after ``obj`` (in queue order), or None."""
        return None

    def render_decision_page(self, request, decision, objects, form, *, single, action_name=""):
        context = {
            **self.admin_site.each_context(request),
            "title": decision.label,
            "decision": decision,
            "objects": objects,
            "form": form,
            "single": single,
            "opts": self.opts,
            "action_name": action_name,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
            "cancel_url": self.change_url(objects[0])
            if single
            else reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist", current_app=self.admin_site.name
            ),
            "object_rows": [self.decision_row(obj) for obj in objects],
            "review_next": single and self.has_review_queue,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.decision_template, context)

    def _logger(self, request):
        return lambda obj, message: self.log_change(request, obj, message)

    def decision_row(self, obj):
        """What the intermediate page shows for each object (override for more)."""
        return {"object": obj, "status": obj.get_status_display(), "url": self.change_url(obj), "details": ""}

    # Bulk actions -----------------------------------------------------

    def _make_bulk_action(self, decision):
        def bulk_action(modeladmin, request, queryset):
            objects = list(queryset)
            form = DecisionForm(request.POST if "confirm" in request.POST else None, decision=decision)
            if "confirm" in request.POST and form.is_valid():
                run_decision(
                    decision,
                    objects,
                    by=request.user,
                    note=form.cleaned_data.get("note", ""),
                    log=modeladmin._logger(request),
                ).send(request, decision)
                return None  # back to the change list
            return modeladmin.render_decision_page(
                request, decision, objects, form, single=False, action_name=f"decide_{decision.name}"
            )

        # Only the selected objects whose team gives the user this decision (festival/admin_scoping.py).
        bulk_action.scoping_permission = decision.permission
        return bulk_action

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.is_popup(request):
            return actions
        for decision in self.decisions_for(request):
            name = f"decide_{decision.name}"
            description = decision.bulk_label or _("%(decision)s selected %(objects)s…") % {
                "decision": capfirst(decision.label),
                "objects": self.opts.verbose_name_plural,
            }
            actions[name] = (self._make_bulk_action(decision), name, description)
        return actions

    @staticmethod
    def is_popup(request):
        return admin.options.IS_POPUP_VAR in request.GET

    # Change page ------------------------------------------------------

    def decision_buttons(self, request, obj):
        return [
            {"label": d.label, "url": self.decision_url(obj, d), "class": d.button_class}
            for d in self.decisions_for(request)
            if d.available(obj) and request.user.has_perm(d.permission, obj)
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            extra_context["decision_buttons"] = self.decision_buttons(request, obj)
        return super().change_view(request, object_id, form_url, extra_context)
