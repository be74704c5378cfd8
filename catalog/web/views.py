from django.shortcuts import render


def school_home(request):
    return render(request, "web/school_home.html", {"school": request.tenant})
