"""What a parent or a student last saw of a child's record: what is newer is marked "nou"."""

from django.conf import settings
from django.db import models

from catalog.structure.models import Student


class Visit(models.Model):
    """The last time `user` opened `student`'s overview."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "student"], name="one_visit_per_user_and_student")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.student_id}: {self.seen_at:%d.%m.%Y %H:%M}"
