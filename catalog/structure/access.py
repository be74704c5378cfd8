"""Who may see which of a school's records: the one 404 policy of every door (the pages and
the school API). Anything a person may not see is a 404: a changed id in a URL tells
nothing about what exists (DOMAIN rule 19)."""

from django.http import Http404

from accounts.models import User
from accounts.roles import Role
from catalog.structure.models import SchoolClass, Student, Subject, TeachingAssignment
from catalog.structure.selectors import teaches

LEADERSHIP = (Role.DIRECTOR, Role.DEPUTY)


def sees_everything(user: User) -> bool:
    """Order art. 17: the school's management sees all of the school's data."""
    return user.has_role(*LEADERSHIP)


def class_for(user: User, class_id: int) -> SchoolClass:
    """A class the user teaches, leads as homeroom teacher, or sees as management; else 404."""
    school_class = SchoolClass.objects.select_related("year__rule_set", "homeroom").filter(pk=class_id).first()
    if school_class is None:
        raise Http404
    if sees_everything(user) or school_class.homeroom_id == user.pk:
        return school_class
    if (
        user.has_role(Role.TEACHER)
        and TeachingAssignment.objects.in_force().filter(teacher=user, school_class=school_class).exists()
    ):
        return school_class
    raise Http404


def gradebook_for(user: User, class_id: int, subject_id: int) -> tuple[SchoolClass, Subject, bool]:
    """(class, subject, may_write) of a gradebook the user may open; else 404."""
    school_class = class_for(user, class_id)
    entry = school_class.curriculum.filter(subject_id=subject_id).select_related("subject").first()
    if entry is None:
        raise Http404
    writes = (
        user.has_role(Role.TEACHER)
        and not user.has_role(Role.SCHOOL_ADMIN)
        and teaches(user, school_class, entry.subject)
    )
    if not (writes or sees_everything(user) or school_class.homeroom_id == user.pk):
        raise Http404
    return school_class, entry.subject, writes


def student_for(user: User, student_id: int) -> Student:
    """A student record the user may read: their own, their child's, or (staff) one in a class
    they lead or that the school's management sees; else 404."""
    student = Student.objects.select_related("user").filter(pk=student_id).first()
    if student is None:
        raise Http404
    if student.user_id == user.pk or sees_everything(user):
        return student
    if user.has_role(Role.PARENT) and user.child_links.filter(student_id=student.user_id).exists():
        return student
    if student.enrolments.filter(school_class__homeroom=user).exists():
        return student
    raise Http404
