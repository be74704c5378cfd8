"""How a gradebook row shows on the page: its grades (with the labels of a transcription, a
move or a curricular module), its absences and the links to correct its grades, as HTML.
Rendered here once per row, not by a template loop per grade: that loop would cost more
than the rest of the page (35 students x 15 grades)."""

from functools import lru_cache

from django.urls import get_urlconf, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from catalog.grades.models import Grade
from catalog.grades.selectors import GradebookRow

TRANSCRIBED_TITLE = _("transcrisă din situația școlară de la")


class RowView:
    """A gradebook row for the templates: the row's data, and its repeated bits as HTML."""

    def __init__(self, row: GradebookRow):
        self.row = row

    def __getattr__(self, name: str):
        return getattr(self.row, name)

    @property
    def grades_html(self) -> str:
        row = self.row
        if not (row.module_labels or row.carried or row.transcribed):
            return format_html_join("", '<span class="grade">{}</span>', ((str(g),) for g in row.grades))
        return format_html_join("", '<span class="grade">{}{}</span>', ((str(g), self._label(g)) for g in row.grades))

    def _label(self, grade: Grade) -> str:
        if grade.transcription_id is not None:  # from the school the student transferred from
            return format_html(
                ' <small class="meta" title="{} {}">{}</small>', TRANSCRIBED_TITLE, grade.transcription, _("T")
            )
        if self.row.carried_here(grade):  # given in the parallel class the student moved from: that class
            return format_html(' <small class="meta">{}</small>', grade.school_class.short)
        label = self.row.module_labels.get(grade.module_id)
        return format_html(' <small class="meta">{}</small>', label) if label else ""

    @property
    def absences_html(self) -> str:
        return format_html_join(
            " ", '<span class="{}">{}</span>',
            (("excused" if a.excusal_id else "unexcused", str(a)) for a in self.row.absences),
        )  # fmt: skip

    @property
    def corrections_html(self) -> str:
        """Links to correct the grades given in this class."""
        prefix = _grade_edit_prefix(get_urlconf())
        return format_html_join(" ", '<a href="{}{}/">{}</a>', ((prefix, g.pk, str(g)) for g in self.row.own_grades))


def rows_shown(rows) -> list[RowView]:
    return [RowView(row) for row in rows]


@lru_cache(maxsize=4)
def _grade_edit_prefix(urlconf) -> str:
    """The grade page's address without its id (reversed once per URL map, not per grade)."""
    return reverse("grade-edit", args=[0], urlconf=urlconf).removesuffix("0/")
